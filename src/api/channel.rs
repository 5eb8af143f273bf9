//! Which sales channel a request sells on: the one place a request's
//! channel is decided. A ticket type names the channels it is sold on, and
//! a sale without ticket types takes its card's first type sold on this one.
//!
//! The keys and tokens configured today are all `api` clients: `api_token`
//! and `admin_token` are tokens, and tokens sell on `api`, as does every
//! `/api` client and a client that sends no token at all.

use rocket::request::{FromRequest, Outcome, Request};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::request::{OpenApiFromRequest, RequestHeaderInput};

use crate::domain::prices::Channel;

/// The channel `request` sells on.
pub fn channel(request: &Request<'_>) -> Channel {
    // Every caller the service can tell apart today is an `api` client;
    // kiosk keys and staff sessions will sell on `kiosk` and `counter`.
    let _ = request;
    Channel::Api
}

/// The request's channel, for handlers that sell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SalesChannel(pub Channel);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for SalesChannel {
    type Error = std::convert::Infallible;

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, Self::Error> {
        Outcome::Success(Self(channel(request)))
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
