//! Which sales channel a request sells on: the one place a request's
//! channel is decided. A ticket type names the channels it is sold on, and
//! a sale without ticket types takes its card's first type sold on this one.
//!
//! On `/v1` the actor decides ([`Actor::channel`]): a `kiosk` key sells on
//! `kiosk`, a staff session or a `cashier`+ key at the `counter`, any other
//! key, the configured tokens and an open service on `api`. Every `/api`
//! client sells on `api`, whoever it is, so that `/api` answers never change.
//!
//! [`Actor::channel`]: crate::domain::staff::Actor::channel

use rocket::request::{FromRequest, Outcome, Request};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::request::{OpenApiFromRequest, RequestHeaderInput};

use crate::api::auth::{resolve, Resolved};
use crate::api::paths::is_v1;
use crate::domain::prices::Channel;

/// The channel `request` sells on. A request without an actor is refused
/// before it sells anything; it counts as `api` meanwhile.
pub async fn channel(request: &Request<'_>) -> Channel {
    if !is_v1(request.uri().path().as_str()) {
        return Channel::Api;
    }
    match resolve(request).await {
        Resolved::Actor(actor) => actor.channel(),
        Resolved::Unauthorized | Resolved::NoCsrf | Resolved::Unavailable => Channel::Api,
    }
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
