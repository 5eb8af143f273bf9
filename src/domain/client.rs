//! Who a request comes from, as the limits and the holds count it.

use std::net::IpAddr;

/// Who a limited request comes from: an address today (the peer, or the
/// client a trusted proxy names); a key or session once those exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClientId([u8; ClientId::LEN]);

impl ClientId {
    pub const LEN: usize = 17;
    const ADDRESS: u8 = b'a';

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

    pub fn as_bytes(&self) -> &[u8; Self::LEN] {
        &self.0
    }

    /// The id `as_bytes` wrote, or `None` when the bytes cannot be one.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let bytes: [u8; Self::LEN] = bytes.try_into().ok()?;
        (bytes[0] == Self::ADDRESS).then_some(Self(bytes))
    }
}
