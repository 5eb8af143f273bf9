//! Who a request comes from, as the limits see it. Only anonymous clients
//! (an open service) and `kiosk` ones are limited; staff and programs are
//! not. A kiosk is its key or its session. An anonymous client is its
//! address: the peer's, unless the peer is one of `trusted_proxies`, whose
//! `X-Forwarded-For` then names the client: the rightmost entry that is not
//! itself a trusted proxy. A peer that is not trusted cannot choose its
//! identity by sending that header, and no address is exempt (loopback
//! included).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use rocket::request::{FromRequest, Outcome, Request};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::request::{OpenApiFromRequest, RequestHeaderInput};

use crate::api::auth::actor_of;
use crate::api::state::App;
use crate::config::{Cidr, Config};
use crate::domain::limits::ClientId;
use crate::domain::staff::{Actor, ActorKind};

pub const FORWARDED_FOR: &str = "X-Forwarded-For";

/// The limited client a request comes from; `None` for staff.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Client(pub Option<ClientId>);

/// One `X-Forwarded-For` entry: an address, perhaps with a port.
fn hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<SocketAddr>().ok().map(|at| at.ip()))
}

/// The client's address: the peer, or who the trusted proxies say it is.
pub fn address(peer: IpAddr, forwarded_for: &[&str], trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |address: IpAddr| trusted.iter().any(|block| block.contains(address));
    let mut client = peer;
    if !is_trusted(peer) {
        return client;
    }
    let entries = forwarded_for
        .iter()
        .flat_map(|header| header.split(','))
        .collect::<Vec<_>>();
    for entry in entries.into_iter().rev() {
        // What a trusted proxy cannot vouch for ends the walk: the client
        // is then the last address it did.
        let Some(address) = hop(entry) else {
            return client;
        };
        client = address;
        if !is_trusted(address) {
            return client;
        }
    }
    client
}

/// The limited client `actor` sending `request` is; `None` for staff.
pub fn client_of(request: &Request<'_>, config: &Config, actor: &Actor) -> Option<ClientId> {
    if !actor.is_limited() {
        return None;
    }
    match &actor.kind {
        ActorKind::Key(id) => return Some(ClientId::key(*id)),
        ActorKind::Session { digest, .. } => return Some(ClientId::session(digest)),
        ActorKind::Open | ActorKind::Token => {}
    }
    // A request without a peer (none reaches the service that way) is
    // one client with all the others like it.
    let peer = request
        .remote()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |peer| peer.ip());
    let forwarded: Vec<&str> = request.headers().get(FORWARDED_FOR).collect();
    Some(ClientId::address(address(
        peer,
        &forwarded,
        &config.trusted_proxies,
    )))
}

#[rocket::async_trait]
impl<'r> FromRequest<'r> for Client {
    type Error = ();

    async fn from_request(request: &'r Request<'_>) -> Outcome<Self, ()> {
        let actor = actor_of(request).await;
        let client = match (&actor, request.rocket().state::<App>()) {
            (Some(actor), Some(app)) => client_of(request, &app.config, actor),
            _ => None,
        };
        Outcome::Success(Self(client))
    }
}

impl OpenApiFromRequest<'_> for Client {
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

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn blocks(list: &[&str]) -> Vec<Cidr> {
        list.iter().map(|text| Cidr::parse(text).unwrap()).collect()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let peer = ip("127.0.0.1");
        assert_eq!(address(peer, &["203.0.113.9"], &[]), peer);
        let other = blocks(&["10.0.0.0/8"]);
        assert_eq!(address(peer, &["203.0.113.9"], &other), peer);
    }

    #[test]
    fn a_trusted_proxy_names_the_rightmost_untrusted_hop() {
        let trusted = blocks(&["127.0.0.1", "10.0.0.0/8"]);
        let peer = ip("127.0.0.1");
        assert_eq!(
            address(peer, &["198.51.100.1, 203.0.113.9, 10.0.0.2"], &trusted),
            ip("203.0.113.9"),
            "what the client wrote itself (198.51.100.1) is not believed"
        );
        assert_eq!(
            address(peer, &["198.51.100.1", "203.0.113.9:4711"], &trusted),
            ip("203.0.113.9")
        );
        assert_eq!(address(peer, &[], &trusted), peer);
        assert_eq!(address(peer, &["10.0.0.3"], &trusted), ip("10.0.0.3"));
        assert_eq!(
            address(peer, &["203.0.113.9, garbage, 10.0.0.2"], &trusted),
            ip("10.0.0.2")
        );
    }
}
