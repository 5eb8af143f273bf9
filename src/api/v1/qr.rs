//! `GET /v1/bookings/{id}/qr.svg`: the booking's id as a QR code, drawn by
//! the service so that the kiosk needs no code of its own to make one.

use std::io::Cursor;

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use rocket::http::{ContentType, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{get, State};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{MediaType, RefOr, Response as OpenApiResponse, Responses};
use rocket_okapi::openapi;
use rocket_okapi::response::OpenApiResponderInner;
use schemars::schema::{InstanceType, SchemaObject};

use super::auth::Kiosk;
use super::params::booking_in_path;
use crate::api::problem::{Kind, Problem};
use crate::api::state::App;
use crate::domain::Refusal;

/// An SVG document, sent as `image/svg+xml`.
pub struct Svg(pub String);

impl<'r> Responder<'r, 'static> for Svg {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(Status::Ok)
            .header(ContentType::SVG)
            .sized_body(self.0.len(), Cursor::new(self.0))
            .ok()
    }
}

impl OpenApiResponderInner for Svg {
    fn responses(_gen: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        let schema = SchemaObject {
            instance_type: Some(InstanceType::String.into()),
            ..SchemaObject::default()
        };
        let mut content = rocket_okapi::okapi::Map::new();
        content.insert(
            ContentType::SVG.to_string(),
            MediaType {
                schema: Some(schema),
                ..MediaType::default()
            },
        );
        let mut responses = Responses::default();
        responses.responses.insert(
            "200".into(),
            RefOr::Object(OpenApiResponse {
                description: "The booking's id as a QR code (an SVG document).".into(),
                content,
                ..OpenApiResponse::default()
            }),
        );
        Ok(responses)
    }
}

/// Pixels per module: a 26-character id makes a 25-module code, so the
/// image is about 240 px wide with its quiet zone.
const MODULE_PIXELS: u32 = 8;

/// `text` as a QR code in SVG, black on white with the quiet zone the
/// standard asks for; `None` when it is too long for any QR code.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .quiet_zone(true)
            .module_dimensions(MODULE_PIXELS, MODULE_PIXELS)
            .dark_color(svg::Color("#000000"))
            .light_color(svg::Color("#ffffff"))
            .build(),
    )
}

/// A booking's id as a QR code (SVG), for the customer's phone or a
/// scanner at the door.
///
/// The same token as GET /v1/bookings/{id}; an unknown booking is 404.
#[openapi(tag = "Bookings", operation_id = "bookingQr")]
#[get("/bookings/<id>/qr.svg")]
pub async fn booking_qr(_allowed: Kiosk, app: &State<App>, id: &str) -> Result<Svg, Problem> {
    let id = booking_in_path(id)?;
    let booking = app
        .bookings
        .booking(id)
        .await?
        .ok_or(Refusal::TicketNotFound)?;
    let id = booking.id.to_string();
    qr_svg(&id).map(Svg).ok_or_else(|| {
        rocket::error!("booking id {id} does not fit a QR code");
        Problem::new(Kind::Other(500), "The QR code could not be drawn.")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_becomes_an_svg_of_dark_modules() {
        let svg = qr_svg("01JD3X7K9QZ8VN2B4M6P1R5T0W").expect("a ULID fits");
        assert!(svg.contains("<svg"), "{svg}");
        assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
        // Version 2 (25 modules) with a 4-module quiet zone on each side.
        let side = (25 + 8) * MODULE_PIXELS;
        assert!(svg.contains(&format!("width=\"{side}\"")), "{svg}");
        // The dark modules: one path of module-sized squares, about half
        // of the 625.
        assert!(svg.contains("<path fill=\"#000000\""), "{svg}");
        let square = format!("h{MODULE_PIXELS}v{MODULE_PIXELS}H");
        let dark = svg.matches(&square).count();
        assert!((200..450).contains(&dark), "{dark} dark modules: {svg}");
    }

    #[test]
    fn text_beyond_any_qr_code_is_refused() {
        assert_eq!(qr_svg(&"x".repeat(5000)), None);
    }
}
