//! Paging cursors as clients see them: where the page ended (48 hex
//! digits), then an HMAC-SHA256 tag over that and the list it belongs to
//! (32 hex digits, the tag's first half). A cursor this service did not
//! give, or gave for another list (other filters, another show's
//! bookings), does not verify: 400. The key is the database's own secret,
//! so every process on one database reads the others' cursors.

use std::fmt::Write as _;

use hmac::{KeyInit, Mac};
use sha2::Sha256;

use crate::usecases::Cursor;

type Hmac = hmac::Hmac<Sha256>;

/// Bytes of the tag a cursor carries.
const TAG: usize = 16;

/// The key cursors are signed with.
pub struct CursorKey(Vec<u8>);

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
    }
}

impl CursorKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(secret.to_vec())
    }

    /// The cursors of one list: `list` names it with every filter that
    /// shapes it (`shows from=… to=…`), so a cursor fits that list alone.
    pub fn list(&self, list: String) -> ListCursors<'_> {
        ListCursors { key: self, list }
    }

    fn mac(&self, list: &str, position: &str) -> Hmac {
        let mut mac = <Hmac as KeyInit>::new_from_slice(&self.0).expect("HMAC takes any key");
        // The list's length first, so that no list and position run into
        // another pair's.
        mac.update(&(list.len() as u64).to_be_bytes());
        mac.update(list.as_bytes());
        mac.update(position.as_bytes());
        mac
    }
}

/// Seals and opens the cursors of one list.
pub struct ListCursors<'k> {
    key: &'k CursorKey,
    list: String,
}

impl ListCursors<'_> {
    pub fn seal(&self, cursor: Cursor) -> String {
        let position = cursor.encode();
        let tag = self.key.mac(&self.list, &position).finalize().into_bytes();
        let mut text = position;
        for byte in &tag[..TAG] {
            let _ = write!(text, "{byte:02x}");
        }
        text
    }

    /// The cursor in `text`, if this service sealed it for this list.
    pub fn open(&self, text: &str) -> Option<Cursor> {
        let (position, tag) = text.split_at_checked(text.len().checked_sub(TAG * 2)?)?;
        let cursor = Cursor::decode(position)?;
        let tag = hex(tag)?;
        // Verified on the canonical spelling, so that a cursor's case does
        // not matter; the comparison takes the same time however much of a
        // guess is right.
        self.key
            .mac(&self.list, &cursor.encode())
            .verify_truncated_left(&tag)
            .ok()?;
        Some(cursor)
    }
}

fn hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(&text[at..at + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_opens_only_in_its_own_list_under_its_own_key() {
        let key = CursorKey::new(&[7; 32]);
        let shows = key.list("shows".into());
        let cursor = Cursor { at: -5, id: 42 };
        let sealed = shows.seal(cursor);
        assert_eq!(sealed.len(), 80);
        assert_eq!(shows.open(&sealed), Some(cursor));
        assert_eq!(shows.open(&sealed.to_uppercase()), Some(cursor));
        assert_eq!(key.list("films".into()).open(&sealed), None);
        assert_eq!(key.list("shows from=1".into()).open(&sealed), None);
        assert_eq!(
            CursorKey::new(&[8; 32]).list("shows".into()).open(&sealed),
            None
        );
        // Another position under the same tag, or no tag at all.
        let moved = format!("{}{}", Cursor { at: -5, id: 43 }.encode(), &sealed[48..]);
        assert_eq!(shows.open(&moved), None);
        assert_eq!(shows.open(&sealed[..48]), None);
        for broken in [
            "",
            "zz",
            &sealed[..79],
            &format!("{sealed}0"),
            "é".repeat(40).as_str(),
        ] {
            assert_eq!(shows.open(broken), None, "{broken}");
        }
    }
}
