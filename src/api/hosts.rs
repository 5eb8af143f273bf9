//! The `Host` check, against DNS rebinding: a web page on a name its
//! attacker controls can point that name at this service, and the browser
//! then lets the page read the answers as its own. Such a request carries
//! the attacker's name in `Host`, so the service answers only hosts that
//! are an IP address (v4, or v6 in brackets), `localhost`, or a name in
//! `allowed_hosts`, whatever the port; any other is 421 Misdirected
//! Request, in each surface's error shape, before any route runs.
//!
//! A request without `Host` (HTTP/1.0) is answered: it names no host a
//! browser resolved, so it cannot be a rebinding. A `Host` that does not
//! parse is refused like a foreign one.
//!
//! A fairing cannot answer a request itself, so it points a refused
//! request at a path no route serves and remembers the path it asked for;
//! the catchers then answer 421 in the shape of that path's surface.

use std::net::{Ipv4Addr, Ipv6Addr};

use rocket::fairing::{Fairing, Info, Kind};
use rocket::http::uri::{Host, Origin};
use rocket::{Data, Request};

/// Where a refused request is pointed: no route serves it.
const NOWHERE: &str = "/.misdirected";

/// The check, with the names `allowed_hosts` adds.
pub struct HostCheck {
    /// Lower case, without a trailing dot.
    allowed: Vec<String>,
}

/// The path a refused request asked for; `None` when it was not refused.
struct Misdirected(Option<String>);

impl HostCheck {
    pub fn new(allowed: &[String]) -> Self {
        Self {
            allowed: allowed.iter().map(|name| normal(name)).collect(),
        }
    }

    /// Whether `request` names a host this service answers.
    fn admits(&self, request: &Request<'_>) -> bool {
        // The header as sent (Rocket's own reading of it is `None` both
        // when it is missing and when it does not parse).
        let Some(raw) = request.headers().get_one("Host") else {
            return true;
        };
        let Ok(host) = Host::parse(raw) else {
            return false;
        };
        let name = normal(host.domain().as_str());
        name == "localhost"
            || name.parse::<Ipv4Addr>().is_ok()
            || name
                .strip_prefix('[')
                .and_then(|rest| rest.strip_suffix(']'))
                .is_some_and(|inner| inner.parse::<Ipv6Addr>().is_ok())
            || self.allowed.contains(&name)
    }
}

/// A host name as compared: lower case, without the trailing dot of a
/// fully qualified name.
fn normal(name: &str) -> String {
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// The path `request` asked for, when its host was refused.
pub fn misdirected<'r>(request: &'r Request<'_>) -> Option<&'r str> {
    request.local_cache(|| Misdirected(None)).0.as_deref()
}

#[rocket::async_trait]
impl Fairing for HostCheck {
    fn info(&self) -> Info {
        Info {
            name: "host check",
            kind: Kind::Request,
        }
    }

    async fn on_request(&self, request: &mut Request<'_>, _data: &mut Data<'_>) {
        if self.admits(request) {
            return;
        }
        let path = request.uri().path().to_string();
        request.local_cache(|| Misdirected(Some(path)));
        request.set_uri(Origin::const_new(NOWHERE, None));
    }
}

/// The sentence a refused host is answered with.
pub const MESSAGE: &str = "This service does not answer to this host name: use its IP address, \
                           localhost, or a name listed in allowed_hosts.";

#[cfg(test)]
mod tests {
    use super::*;
    use rocket::local::blocking::Client;

    fn admits(check: &HostCheck, host: Option<&str>) -> bool {
        let client = Client::debug_with(Vec::new()).expect("a rocket");
        let mut local = client.get("/");
        if let Some(host) = host {
            local.add_header(rocket::http::Header::new("Host", host.to_owned()));
        }
        check.admits(local.inner())
    }

    #[test]
    fn addresses_localhost_and_listed_names_are_answered_on_any_port() {
        let check = HostCheck::new(&["Boxoffice.Example".to_owned()]);
        for host in [
            None,
            Some("127.0.0.1"),
            Some("127.0.0.1:5000"),
            Some("192.168.1.20:8000"),
            Some("[::1]:5000"),
            Some("[fe80::1]"),
            Some("localhost"),
            Some("LOCALHOST:5000"),
            Some("localhost."),
            Some("boxoffice.example"),
            Some("BOXOFFICE.example.:443"),
        ] {
            assert!(admits(&check, host), "{host:?}");
        }
        for host in [
            "attacker.example",
            "attacker.example:5000",
            "localhost.attacker.example",
            "127.0.0.1.attacker.example",
            "boxoffice.example.attacker.example",
            "example",
            "",
            "a b",
        ] {
            assert!(!admits(&check, Some(host)), "{host:?}");
        }
    }
}
