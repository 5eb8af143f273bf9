//! Roles on `/v1`. The token comes as `Authorization: Bearer <token>` or as
//! `X-Auth-Token` (Bearer first when both are sent). With no token
//! configured everything is open. Once either token is set, every route
//! needs one: `api_token` (the cashier's key) may read, book and search
//! bookings; `admin_token` may also change the catalogue; without
//! `admin_token`, `api_token` does that too (it is then the admin key).
//! A route that needs no token ignores one. A refusal goes to the catchers
//! (401 or 403) before the body is read.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::request::{OpenApiFromRequest, RequestHeaderInput};

use crate::api::auth::{bearer_token, constant_time_eq, TOKEN_HEADER};
use crate::api::state::App;
use crate::config::Config;

/// What a route needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Reading, booking and finding bookings: either token, once one is set.
    Clerk,
    /// The catalogue: `admin_token` when it is set, else as `Clerk`.
    Admin,
}

/// Why a token does not do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// No token, or not one the service knows: 401.
    Unauthorized,
    /// `api_token` where `admin_token` is needed: 403.
    Forbidden,
}

impl Role {
    /// Whether this route needs a token at all as `config` sets it up.
    pub fn needs_token(self, config: &Config) -> bool {
        // Bookings carry names and phone numbers: an `admin_token` alone
        // closes them too, not only the catalogue.
        config.admin_token.is_some() || config.api_token.is_some()
    }

    /// Whether a valid `api_token` can be refused here (403).
    pub fn can_forbid(self, config: &Config) -> bool {
        self == Self::Admin && config.admin_token.is_some() && config.api_token.is_some()
    }

    /// Whether `given` (the token the request sent, if any) may do this.
    pub fn admits(self, config: &Config, given: Option<&str>) -> Result<(), Refused> {
        let matches = |expected: Option<&String>| {
            expected.is_some_and(|expected| {
                given.is_some_and(|given| constant_time_eq(given.as_bytes(), expected.as_bytes()))
            })
        };
        let admin = matches(config.admin_token.as_ref());
        let clerk = matches(config.api_token.as_ref());
        match self {
            _ if !self.needs_token(config) => Ok(()),
            Self::Clerk if admin || clerk => Ok(()),
            Self::Admin if config.admin_token.is_none() && clerk => Ok(()),
            Self::Admin if admin => Ok(()),
            Self::Admin if clerk => Err(Refused::Forbidden),
            _ => Err(Refused::Unauthorized),
        }
    }
}

/// The token a `/v1` request sent.
pub fn given_token<'r>(request: &'r Request<'_>) -> Option<&'r str> {
    bearer_token(request).or_else(|| request.headers().get_one(TOKEN_HEADER))
}

fn guard(request: &Request<'_>, role: Role) -> Outcome<(), ()> {
    let Some(app) = request.rocket().state::<App>() else {
        return Outcome::Error((Status::InternalServerError, ()));
    };
    match role.admits(&app.config, given_token(request)) {
        Ok(()) => Outcome::Success(()),
        Err(Refused::Unauthorized) => Outcome::Error((Status::Unauthorized, ())),
        Err(Refused::Forbidden) => Outcome::Error((Status::Forbidden, ())),
    }
}

/// May read, book and find bookings. Handlers take it as a parameter.
pub struct Clerk;

/// May change the catalogue.
pub struct Admin;

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Clerk {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        guard(request, Role::Clerk).map(|()| Clerk)
    }
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Admin {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        guard(request, Role::Admin).map(|()| Admin)
    }
}

// The document's security requirements depend on the configuration and the
// role, so `v1::docs` writes them per operation.
impl OpenApiFromRequest<'_> for Clerk {
    fn from_request_input(
        _gen: &mut OpenApiGenerator,
        _name: String,
        _required: bool,
    ) -> rocket_okapi::Result<RequestHeaderInput> {
        Ok(RequestHeaderInput::None)
    }
}

impl OpenApiFromRequest<'_> for Admin {
    fn from_request_input(
        _gen: &mut OpenApiGenerator,
        _name: String,
        _required: bool,
    ) -> rocket_okapi::Result<RequestHeaderInput> {
        Ok(RequestHeaderInput::None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(api: Option<&str>, admin: Option<&str>) -> Config {
        let figment = crate::config::figment().merge(("db_path", "unused.redb"));
        let mut config = Config::from_figment(&figment).expect("a valid configuration");
        config.api_token = api.map(str::to_owned);
        config.admin_token = admin.map(str::to_owned);
        config
    }

    #[test]
    fn with_no_tokens_everything_is_open() {
        let open = config(None, None);
        for role in [Role::Clerk, Role::Admin] {
            assert_eq!(role.admits(&open, None), Ok(()));
            assert_eq!(role.admits(&open, Some("anything")), Ok(()));
        }
    }

    #[test]
    fn the_admin_token_does_what_the_api_token_does_and_more() {
        let both = config(Some("clerk"), Some("boss"));
        assert_eq!(Role::Clerk.admits(&both, Some("clerk")), Ok(()));
        assert_eq!(Role::Clerk.admits(&both, Some("boss")), Ok(()));
        assert_eq!(Role::Admin.admits(&both, Some("boss")), Ok(()));
        assert_eq!(
            Role::Admin.admits(&both, Some("clerk")),
            Err(Refused::Forbidden)
        );
        for wrong in [None, Some(""), Some("guess"), Some("boss ")] {
            assert_eq!(Role::Clerk.admits(&both, wrong), Err(Refused::Unauthorized));
            assert_eq!(Role::Admin.admits(&both, wrong), Err(Refused::Unauthorized));
        }
    }

    #[test]
    fn without_an_admin_token_the_catalogue_needs_the_api_token() {
        let clerk_only = config(Some("clerk"), None);
        assert_eq!(Role::Admin.admits(&clerk_only, Some("clerk")), Ok(()));
        assert_eq!(
            Role::Admin.admits(&clerk_only, None),
            Err(Refused::Unauthorized)
        );
    }

    #[test]
    fn an_admin_token_alone_guards_everything() {
        let admin_only = config(None, Some("boss"));
        for role in [Role::Clerk, Role::Admin] {
            assert_eq!(role.admits(&admin_only, Some("boss")), Ok(()));
            assert_eq!(role.admits(&admin_only, None), Err(Refused::Unauthorized));
            assert_eq!(
                role.admits(&admin_only, Some("clerk")),
                Err(Refused::Unauthorized)
            );
        }
    }
}
