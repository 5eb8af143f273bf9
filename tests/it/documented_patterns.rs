//! The patterns the `OpenAPI` document publishes describe the parsers exactly:
//! every string a pattern matches is accepted, and near misses are accepted
//! exactly when the pattern matches them.

use boxoffice::api::fields::{phone_from_json, user_name_from_json};
use boxoffice::domain::patterns;
use boxoffice::domain::time::parse_show_time;
use boxoffice::domain::TicketId;
use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::string::string_regex;
use regex_automata::meta::Regex;
use serde_json::{json, Value};

use crate::support::*;

type Accepts = fn(&str) -> bool;

/// The patterns compiled once, in the order of [`FIELDS`].
static COMPILED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    FIELDS
        .iter()
        .map(|(_, pattern, _)| Regex::new(pattern).expect("a valid pattern"))
        .collect()
});

/// The pattern's verdict and the parser's, for `field`.
fn verdicts(field: &str, text: &str) -> (bool, bool) {
    let index = FIELDS
        .iter()
        .position(|(name, ..)| *name == field)
        .expect("a known field");
    (COMPILED[index].is_match(text), (FIELDS[index].2)(text))
}

const FIELDS: &[(&str, &str, Accepts)] = &[
    ("id", patterns::ID, |s| TicketId::parse(s).is_some()),
    ("userName", patterns::USER_NAME, |s| {
        user_name_from_json(Some(&json!(s))).is_ok()
    }),
    ("phoneNumber", patterns::PHONE_TEXT, |s| {
        phone_from_json(Some(&json!(s))).is_ok()
    }),
    ("showTime", patterns::SHOW_TIME, |s| {
        parse_show_time(s, chrono_tz::UTC).is_ok()
    }),
    ("reference", patterns::REFERENCE, |s| {
        boxoffice::domain::Reference::parse(s).is_some()
    }),
];

/// Characters that sit on the edge of some rule.
const EDGES: &[char] = &[
    '0', '1', '2', '3', '5', '6', '9', ':', '-', '+', ' ', '.', 'T', 't', 'Z', 'z', 'A', 'I', 'L',
    'O', 'U', 'a', 'x', '\t', '\n', '\u{0}', '\u{1f}', '\u{7f}', '\u{85}', '\u{a0}', '\u{9f}',
    '\u{2028}', '\u{3000}', '\u{feff}', '٣', 'é', '😀', '\u{200b}', '\u{200d}', '\u{ad}',
    '\u{202e}', '\u{2066}', '\u{2069}', '\u{301}',
];

/// A string the pattern matches, without its `^…$` anchors (the generator
/// does not take them).
fn matching(pattern: &str) -> BoxedStrategy<String> {
    let bare = pattern
        .strip_prefix('^')
        .and_then(|p| p.strip_suffix('$'))
        .expect("anchored");
    string_regex(bare).expect("generable").boxed()
}

#[derive(Debug, Clone)]
enum Edit {
    Replace(usize, char),
    Insert(usize, char),
    Remove(usize),
}

fn edit(text: &str, edit: &Edit) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let at = |index: usize, len: usize| if len == 0 { 0 } else { index % len };
    match *edit {
        Edit::Replace(index, c) if !chars.is_empty() => {
            let index = at(index, chars.len());
            chars[index] = c;
        }
        Edit::Insert(index, c) => {
            let index = at(index, chars.len() + 1);
            chars.insert(index, c);
        }
        Edit::Remove(index) if !chars.is_empty() => {
            let index = at(index, chars.len());
            chars.remove(index);
        }
        _ => {}
    }
    chars.into_iter().collect()
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let one = prop_oneof![
        (any::<usize>(), proptest::sample::select(EDGES)).prop_map(|(i, c)| Edit::Replace(i, c)),
        (any::<usize>(), proptest::sample::select(EDGES)).prop_map(|(i, c)| Edit::Insert(i, c)),
        any::<usize>().prop_map(Edit::Remove),
    ];
    proptest::collection::vec(one, 1..3)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn every_string_a_published_pattern_matches_is_accepted(
        (field, text) in proptest::sample::select(FIELDS)
            .prop_flat_map(|(name, pattern, _)| (Just(name), matching(pattern)))
    ) {
        let (matches, accepted) = verdicts(field, &text);
        prop_assert!(matches, "{field}: {text:?}");
        prop_assert!(accepted, "{field}: {text:?} matches the pattern but is refused");
    }

    #[test]
    fn a_near_miss_is_accepted_exactly_when_the_pattern_matches_it(
        (field, text) in proptest::sample::select(FIELDS)
            .prop_flat_map(|(name, pattern, _)| (Just(name), matching(pattern))),
        changes in edits(),
    ) {
        let text = changes.iter().fold(text, |text, change| edit(&text, change));
        let (matches, accepted) = verdicts(field, &text);
        prop_assert_eq!(matches, accepted, "{}: {:?}", field, text);
    }
}

#[test]
fn hand_picked_edges_agree() {
    let cases: &[(&str, &str)] = &[
        ("showTime", "2028-02-29 10:00"),
        ("showTime", "2100-02-29 10:00"),
        ("showTime", "2000-02-29 10:00"),
        ("showTime", "0000-02-29 10:00"),
        ("showTime", "2030-04-31 10:00"),
        ("showTime", "2030-12-31T23:59:59.999999999999+23:59"),
        ("showTime", "\u{a0}2030-01-02 18:30\u{3000}"),
        ("showTime", "\u{feff}2030-01-02 18:30"),
        ("userName", "\u{85}Asha\u{85}"),
        ("userName", "\u{feff}"),
        ("userName", &format!(" {} ", "a".repeat(100))),
        ("userName", &"a".repeat(101)),
        ("userName", "😀"),
        ("userName", "\u{200b}\u{200c}\u{200d}"),
        ("userName", "\u{200b}Asha\u{2060}"),
        ("userName", "क्\u{200d}ष"),
        ("userName", "Asha\u{202e}ahsA"),
        ("userName", "\u{2066}Asha"),
        ("userName", "As\u{feff}ha"),
        ("userName", &format!("\u{200b}{}\u{200b}", "a".repeat(100))),
        ("phoneNumber", "\t+ 1234567 \n"),
        ("phoneNumber", "+-1234567"),
        ("phoneNumber", "-+1234567"),
        ("phoneNumber", "1234567\u{a0}8"),
        ("id", "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"),
        ("id", "8ZZZZZZZZZZZZZZZZZZZZZZZZZ"),
        ("id", "62b0f6a1c2d3e4f5a6b7c8d9"),
        ("id", "62B0F6A1C2D3E4F5A6B7C8D9"),
        ("id", "62b0f6a1c2d3e4f5a6b7c8dg"),
        ("id", "62b0f6a1c2d3e4f5a6b7c8d"),
    ];
    for (field, text) in cases {
        let (matches, accepted) = verdicts(field, text);
        assert_eq!(matches, accepted, "{field}: {text:?}");
    }
}

#[test]
fn the_document_publishes_these_patterns_and_the_capacity() {
    let service = local_with(|figment| figment.merge(("capacity", 7)));
    let (_, doc) = service.get("/openapi.json");
    let schemas = &doc["components"]["schemas"];
    let book = &schemas["BookTicketRequest"]["properties"];
    assert_eq!(book["userName"]["pattern"], patterns::USER_NAME);
    assert_eq!(
        book["phoneNumber"]["oneOf"][1]["pattern"],
        patterns::PHONE_TEXT
    );
    assert_eq!(book["showTime"]["pattern"], patterns::SHOW_TIME);
    assert_eq!(book["ticketCount"]["minimum"], json!(1.0));
    assert_eq!(book["ticketCount"]["maximum"], json!(7.0));
    let update = &schemas["UpdateTimingRequest"]["properties"];
    assert_eq!(update["ticketId"]["pattern"], patterns::ID);
    assert_eq!(update["newShowTime"]["pattern"], patterns::SHOW_TIME);
    assert_eq!(
        schemas["DeleteTicketRequest"]["properties"]["ticketId"]["pattern"],
        patterns::ID
    );
    let parameters = |path: &str| -> Vec<Value> {
        doc["paths"][path]["get"]["parameters"]
            .as_array()
            .unwrap()
            .clone()
    };
    for (path, name, pattern, required) in [
        ("/api/view-all-tickets", "movieId", patterns::ID, false),
        (
            "/api/view-all-tickets",
            "showTime",
            patterns::SHOW_TIME,
            false,
        ),
        ("/api/user-details", "ticketId", patterns::ID, true),
    ] {
        let parameter = parameters(path)
            .into_iter()
            .find(|parameter| parameter["name"] == name)
            .unwrap();
        assert_eq!(parameter["schema"]["pattern"], pattern, "{name}");
        assert_eq!(
            parameter["required"].as_bool().unwrap_or(false),
            required,
            "{name}"
        );
        assert!(parameter["schema"].get("nullable").is_none(), "{name}");
    }
}
