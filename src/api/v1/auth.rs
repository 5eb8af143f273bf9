//! Roles on `/v1`: each handler takes the guard of the least role it needs
//! (`Kiosk` < `Door` < `Cashier` < `Manager` < `Admin`), which carries the
//! actor. No credential, or one the service does not know: 401; a known one
//! whose role is too low, or a cookie write without `X-CSRF-Token`: 403.
//! A refusal goes to the catchers before the body is read.

use rocket::http::Status;
use rocket::request::{FromRequest, Outcome, Request};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::request::{OpenApiFromRequest, RequestHeaderInput};

use crate::api::auth::{resolve, Resolved};
use crate::domain::staff::{Actor, Role};

/// A request whose actor has at least the role coded `ROLE`
/// ([`Role::code`]); use the aliases below.
pub struct Allowed<const ROLE: u8>(pub Actor);

pub type Kiosk = Allowed<0>;
pub type Door = Allowed<1>;
pub type Cashier = Allowed<2>;
pub type Manager = Allowed<3>;
pub type Admin = Allowed<4>;

impl<const ROLE: u8> Allowed<ROLE> {
    pub fn role() -> Role {
        Role::from_code(ROLE).unwrap_or(Role::Admin)
    }

    pub fn actor(&self) -> &Actor {
        &self.0
    }
}

/// Why a request may not go on, as a status for the catchers.
pub fn judge(resolved: &Resolved, needed: Role) -> Result<Actor, Status> {
    match resolved {
        Resolved::Actor(actor) if actor.role >= needed => Ok(actor.clone()),
        Resolved::Actor(_) | Resolved::NoCsrf => Err(Status::Forbidden),
        Resolved::Unauthorized => Err(Status::Unauthorized),
        Resolved::Unavailable => Err(Status::ServiceUnavailable),
    }
}

#[rocket::async_trait]
impl<'r, const ROLE: u8> FromRequest<'r> for Allowed<ROLE> {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        match judge(resolve(request).await, Self::role()) {
            Ok(actor) => Outcome::Success(Self(actor)),
            Err(status) => Outcome::Error((status, ())),
        }
    }
}

/// Any actor at all, or none on a closed service: for the sign-in route,
/// which needs no role.
pub struct Anyone(pub Option<Actor>);

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Anyone {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        Outcome::Success(Self(crate::api::auth::actor_of(request).await))
    }
}

// The document's security requirements are per role, so `v1::docs`
// writes them per operation.
impl<const ROLE: u8> OpenApiFromRequest<'_> for Allowed<ROLE> {
    fn from_request_input(
        _gen: &mut OpenApiGenerator,
        _name: String,
        _required: bool,
    ) -> rocket_okapi::Result<RequestHeaderInput> {
        Ok(RequestHeaderInput::None)
    }
}

impl OpenApiFromRequest<'_> for Anyone {
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
    use crate::domain::staff::ActorKind;

    fn actor(role: Role) -> Resolved {
        Resolved::Actor(Actor {
            name: "someone".into(),
            role,
            kind: ActorKind::Key(1),
        })
    }

    #[test]
    fn each_role_does_what_the_ones_below_it_do() {
        for (index, have) in Role::ALL.into_iter().enumerate() {
            for (needed_index, needed) in Role::ALL.into_iter().enumerate() {
                let verdict = judge(&actor(have), needed);
                if needed_index <= index {
                    assert!(verdict.is_ok(), "{have} for {needed}");
                } else {
                    assert_eq!(verdict, Err(Status::Forbidden), "{have} for {needed}");
                }
            }
        }
        assert_eq!(
            judge(&Resolved::Unauthorized, Role::Kiosk),
            Err(Status::Unauthorized)
        );
        assert_eq!(
            judge(&Resolved::NoCsrf, Role::Kiosk),
            Err(Status::Forbidden)
        );
        assert_eq!(Admin::role(), Role::Admin);
        assert_eq!(Kiosk::role(), Role::Kiosk);
    }
}
