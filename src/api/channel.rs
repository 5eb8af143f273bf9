//! Which sales channel a request sells on: the one place a request's
//! channel is decided. A ticket type names the channels it is sold on, and
//! a sale without ticket types takes its card's first type sold on this one.
//!
//! A `kiosk` key sells on `kiosk`; a staff session or a `cashier`+ key on
//! `counter`; every other key, the configured tokens, an open service and
//! every `/api` client on `api`.

use rocket::request::{FromRequest, Outcome, Request};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::request::{OpenApiFromRequest, RequestHeaderInput};

use crate::api::auth::actor_of;
use crate::domain::prices::Channel;

/// The channel `request` sells on: its actor's, else `api`.
pub async fn channel(request: &Request<'_>) -> Channel {
    actor_of(request)
        .await
        .map_or(Channel::Api, |actor| actor.channel())
}

/// The request's channel, for handlers that sell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SalesChannel(pub Channel);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SalesChannel {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(Self(channel(request).await))
    }
}

impl OpenApiFromRequest<'_> for SalesChannel {
    fn from_request_input(
        _gen: &mut OpenApiGenerator,
        _name: String,
        _required: bool,
    ) -> rocket_okapi::Result<RequestHeaderInput> {
        Ok(RequestHeaderInput::None)
    }
}
