//! Who a request comes from, as the limits and the holds count it.

use std::net::IpAddr;

/// Who a limited request comes from: its API key or its session when it
/// has one, else its address (the peer, or the client a trusted proxy
/// names).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId([u8; ClientId::LEN]);

impl ClientId {
    pub const LEN: usize = 17;
    const ADDRESS: u8 = b'a';
    const KEY: u8 = b'k';
    const SESSION: u8 = b's';

    /// An address; IPv4 is kept as its IPv6-mapped form, so one client has
    /// one id whichever way it is written.
    pub fn address(address: IpAddr) -> Self {
        let octets = match address {
            IpAddr::V4(v4) => v4.to_ipv6_mapped().octets(),
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map_or(v6, |v4| v4.to_ipv6_mapped())
                .octets(),
        };
        let mut bytes = [0; Self::LEN];
        bytes[0] = Self::ADDRESS;
        bytes[1..].copy_from_slice(&octets);
        Self(bytes)
    }

    /// An API key, by its id.
    pub fn key(id: u128) -> Self {
        let mut bytes = [0; Self::LEN];
        bytes[0] = Self::KEY;
        bytes[1..].copy_from_slice(&id.to_be_bytes());
        Self(bytes)
    }

    /// A session, by the first half of its token's digest.
    pub fn session(digest: &[u8; 32]) -> Self {
        let mut bytes = [0; Self::LEN];
        bytes[0] = Self::SESSION;
        bytes[1..].copy_from_slice(&digest[..16]);
        Self(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }

    /// The id `as_bytes` wrote, or `None` when the bytes cannot be one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let bytes: [u8; Self::LEN] = bytes.try_into().ok()?;
        [Self::ADDRESS, Self::KEY, Self::SESSION]
            .contains(&bytes[0])
            .then_some(Self(bytes))
    }
}
