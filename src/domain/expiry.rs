//! When a show's tickets expire: a pure function of the show's start, the
//! venue's `expire_after` and the instant asked about.

use super::time::Millis;

/// A ticket is expired from the instant its show started `expire_after_ms` ago.
pub fn is_expired(show_start: Millis, expire_after_ms: i64, now: Millis) -> bool {
    now >= show_start.saturating_add(expire_after_ms)
}

/// The latest show start whose tickets are expired at `now`.
pub fn expiry_cutoff(now: Millis, expire_after_ms: i64) -> Millis {
    now.saturating_sub(expire_after_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Millis = 3_600_000;

    #[test]
    fn expiry_starts_exactly_at_expire_after() {
        let start = 1_000 * HOUR;
        assert!(!is_expired(start, 8 * HOUR, start + 8 * HOUR - 1));
        assert!(is_expired(start, 8 * HOUR, start + 8 * HOUR));
        assert!(is_expired(start, 8 * HOUR, start + 9 * HOUR));
        assert!(!is_expired(start, 8 * HOUR, start - HOUR));
        assert_eq!(expiry_cutoff(start + 8 * HOUR, 8 * HOUR), start);
    }
}
