//! `/kiosk` and `/counter`: the customer's touch screen and the staff's page,
//! plain HTML, CSS and JavaScript compiled into the binary, so they work with
//! no internet and need nothing beside it. Both talk to `/v1` only.
//!
//! Every page and asset goes out under a Content-Security-Policy that allows
//! nothing but this origin's own scripts, styles, images and API (plus the
//! `blob:` images the kiosk makes of the QR code it fetched with the token):
//! no inline script, no other host.

use std::io::Cursor;

use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket::{get, Route};

/// What a page may load: its own origin's files, and its own API.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' blob:; connect-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// One embedded file with its type.
pub struct Asset {
    content_type: ContentType,
    body: &'static [u8],
}

impl<'r> Responder<'r, 'static> for Asset {
    fn respond_to(self, _request: &'r Request<'_>) -> response::Result<'static> {
        Response::build()
            .status(Status::Ok)
            .header(self.content_type)
            .header(Header::new(
                "Content-Security-Policy",
                CONTENT_SECURITY_POLICY,
            ))
            .header(Header::new("Referrer-Policy", "no-referrer"))
            // A new binary's pages replace the old ones at once.
            .header(Header::new("Cache-Control", "no-cache"))
            .sized_body(self.body.len(), Cursor::new(self.body))
            .ok()
    }
}

const fn html(body: &'static str) -> Asset {
    Asset {
        content_type: ContentType::HTML,
        body: body.as_bytes(),
    }
}

/// The files under `/pages/`, by name.
const FILES: &[(&str, ContentType, &str)] = &[
    ("pages.css", ContentType::CSS, include_str!("pages.css")),
    ("icon.svg", ContentType::SVG, include_str!("icon.svg")),
    (
        "common.js",
        ContentType::JavaScript,
        include_str!("common.js"),
    ),
    (
        "kiosk.js",
        ContentType::JavaScript,
        include_str!("kiosk.js"),
    ),
    (
        "counter.js",
        ContentType::JavaScript,
        include_str!("counter.js"),
    ),
];

#[get("/kiosk")]
fn kiosk() -> Asset {
    html(include_str!("kiosk.html"))
}

#[get("/counter")]
fn counter() -> Asset {
    html(include_str!("counter.html"))
}

/// A script or the style sheet; any other name is Rocket's 404.
#[get("/pages/<name>")]
fn file(name: &str) -> Option<Asset> {
    let (_, content_type, text) = FILES.iter().find(|(file, ..)| *file == name)?;
    Some(Asset {
        content_type: content_type.clone(),
        body: text.as_bytes(),
    })
}

pub fn routes() -> Vec<Route> {
    rocket::routes![kiosk, counter, file]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::currency::Currency;

    /// The pages write amounts with the decimal places the service counts
    /// in: their table of the currencies not of 2 places is the service's.
    #[test]
    fn the_pages_know_each_currency_s_decimal_places() {
        let script = include_str!("common.js");
        let start = script.find("const MINOR_DIGITS = {").expect("the table");
        let table = &script[start..];
        let table = &table[table.find('{').expect("{") + 1..table.find('}').expect("}")];
        let mut listed: Vec<(String, u8)> = table
            .split(',')
            .map(|pair| {
                let (code, places) = pair.split_once(':').expect("CODE: places");
                (
                    code.trim().to_owned(),
                    places.trim().parse().expect("a number"),
                )
            })
            .collect();
        listed.sort();
        let expected: Vec<(String, u8)> = Currency::active()
            .filter(|currency| currency.exponent() != 2)
            .map(|currency| (currency.code().to_owned(), currency.exponent()))
            .collect();
        assert_eq!(listed, expected);
        assert!(FILES.iter().any(|(name, ..)| *name == "common.js"));
    }
}
