//! Where each surface lives, so the shared pieces can tell an `/api` request
//! from a `/v1` one without depending on either surface.

/// Where the seed-compatible routes live.
pub const API_BASE: &str = "/api";

/// Where the cinema's routes live.
pub const V1_BASE: &str = "/v1";

/// Whether `path` is under `/v1` (answers there are problem documents).
pub fn is_v1(path: &str) -> bool {
    path == V1_BASE
        || path
            .strip_prefix(V1_BASE)
            .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_v1_prefix_is_v1() {
        assert!(is_v1("/v1"));
        assert!(is_v1("/v1/screens"));
        assert!(!is_v1("/v10/screens"));
        assert!(!is_v1("/api/book-ticket"));
    }
}
