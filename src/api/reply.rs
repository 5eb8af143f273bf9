//! `/v1` answers: a success body serialized once, so that the answer an
//! `Idempotency-Key` keeps is the very bytes the client was sent; lists with
//! their cursor; and the `Location` of what a POST created.

use std::io::Cursor as Bytes;
use std::marker::PhantomData;

use chrono::{DateTime, SecondsFormat};
use chrono_tz::Tz;
use rocket::http::{ContentType, Header, Status};
use rocket::request::Request;
use rocket::response::{self, Responder, Response};
use rocket_okapi::gen::OpenApiGenerator;
use rocket_okapi::okapi::openapi3::{
    Header as OpenApiHeader, MediaType, RefOr, Response as OpenApiResponse, Responses,
};
use rocket_okapi::response::OpenApiResponderInner;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::cursor::ListCursors;
use super::problem::Problem;
use crate::api::idempotency::{location, Answer, IdempotencyKey, MalformedKey};
use crate::domain::{Millis, Refusal};
use crate::usecases::{Cursor, Once, Page, Replay, Written};

/// An instant as `/v1` writes it: RFC 3339 with the venue's offset, to the second.
pub fn rfc3339(instant: Millis, zone: Tz) -> String {
    DateTime::from_timestamp_millis(instant).map_or_else(
        || instant.to_string(),
        |time| {
            time.with_timezone(&zone)
                .to_rfc3339_opts(SecondsFormat::Secs, false)
        },
    )
}

/// A success answer with status `STATUS` and a `T` as its JSON body
/// (none for 204).
pub struct Reply<T, const STATUS: u16> {
    body: Vec<u8>,
    schema: PhantomData<fn() -> T>,
}

impl<T: Serialize, const STATUS: u16> Reply<T, STATUS> {
    pub fn new(value: &T) -> Self {
        let body = if STATUS == 204 {
            Vec::new()
        } else {
            serde_json::to_vec(value).expect("answers serialize")
        };
        Self {
            body,
            schema: PhantomData,
        }
    }

    /// The answer documented as `T`, already written as its JSON.
    pub fn json(body: Vec<u8>) -> Self {
        Self {
            body,
            schema: PhantomData,
        }
    }

    fn into_replay(self) -> Replay {
        Replay {
            status: STATUS,
            body: self.body,
        }
    }
}

impl<'r, T, const STATUS: u16> Responder<'r, 'static> for Reply<T, STATUS> {
    fn respond_to(self, request: &'r Request<'_>) -> response::Result<'static> {
        let mut response = Response::build();
        response.status(Status::new(STATUS));
        if let Some(location) = location(&request.uri().path().to_string(), STATUS, &self.body) {
            response.header(Header::new("Location", location));
        }
        if !self.body.is_empty() {
            response
                .header(ContentType::JSON)
                .sized_body(self.body.len(), Bytes::new(self.body));
        }
        Ok(response.finalize())
    }
}

impl<T: JsonSchema, const STATUS: u16> OpenApiResponderInner for Reply<T, STATUS> {
    fn responses(gen: &mut OpenApiGenerator) -> rocket_okapi::Result<Responses> {
        let mut content = rocket_okapi::okapi::Map::new();
        if STATUS != 204 {
            content.insert(
                "application/json".to_owned(),
                MediaType {
                    schema: Some(gen.json_schema::<T>()),
                    ..MediaType::default()
                },
            );
        }
        let mut headers = rocket_okapi::okapi::Map::new();
        if STATUS == 201 {
            headers.insert(
                "Location".to_owned(),
                RefOr::Object(OpenApiHeader {
                    description: Some("Where the new record is read.".into()),
                    required: true,
                    deprecated: false,
                    allow_empty_value: false,
                    value: rocket_okapi::okapi::openapi3::ParameterValue::Schema {
                        style: None,
                        explode: None,
                        allow_reserved: false,
                        schema: gen.json_schema::<String>(),
                        example: None,
                        examples: None,
                    },
                    extensions: rocket_okapi::okapi::Map::default(),
                }),
            );
        }
        let description = match STATUS {
            201 => "Created.",
            204 => "Done; no body.",
            _ => "OK.",
        };
        let mut responses = Responses::default();
        responses.responses.insert(
            STATUS.to_string(),
            RefOr::Object(OpenApiResponse {
                description: description.into(),
                content,
                headers,
                ..OpenApiResponse::default()
            }),
        );
        Ok(responses)
    }
}

/// What a `/v1` write answers: its reply, or a key's stored answer again.
pub type Sent<T, const STATUS: u16> = Answer<Reply<T, STATUS>>;

/// How a write's outcome is answered: `view` makes the body from what the
/// use case returned, for the fresh answer and for the one its key keeps.
pub struct Write<V, const STATUS: u16> {
    view: V,
}

/// A POST that creates: 201 with the record and its `Location`.
pub fn created<V>(view: V) -> Write<V, 201> {
    Write { view }
}

/// A PATCH: 200 with the record as it is now.
pub fn changed<V>(view: V) -> Write<V, 200> {
    Write { view }
}

/// A DELETE: 204, no body.
pub fn deleted() -> Write<fn(&()), 204> {
    Write { view: |()| () }
}

impl<V, const STATUS: u16> Write<V, STATUS> {
    /// The request's `Idempotency-Key` (scoped to its token), if it has
    /// one: a malformed key is 422. Refusals decided on the stored state
    /// (404, 409, 410) are kept with the key, like successes.
    pub fn once<T, B>(&self, key: &IdempotencyKey, body: Option<&Value>) -> Result<Once<T>, Problem>
    where
        V: Fn(&T) -> B + Clone + Send + 'static,
        B: Serialize,
        T: 'static,
    {
        let view = self.view.clone();
        let render = move |outcome: &Result<T, Refusal>| match outcome {
            Ok(done) => Some(Reply::<B, STATUS>::new(&view(done)).into_replay()),
            Err(refusal) => Problem::from(refusal.clone()).replay(),
        };
        key.once(body, Box::new(render))
            .map_err(|MalformedKey| Problem::invalid(MalformedKey::MESSAGE))
    }

    pub fn answer<T, B>(self, written: Written<T>) -> Sent<B, STATUS>
    where
        V: Fn(&T) -> B,
        B: Serialize,
    {
        match written {
            Written::Fresh(done) => Answer::Fresh(Reply::new(&(self.view)(&done))),
            Written::Replayed(replay) => Answer::Replayed(replay),
        }
    }
}

/// A page of a list: `nextCursor` continues it, `null` when it is done.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "{T}List")]
pub struct List<T> {
    pub items: Vec<T>,
    /// Pass it as `cursor` for the next page; `null` on the last one.
    #[schemars(regex(pattern = r"^[0-9A-Fa-f]{80}$"))]
    pub next_cursor: Option<String>,
}

impl<T> List<T> {
    pub fn new<U>(page: Page<U>, cursors: &ListCursors<'_>, view: impl Fn(U) -> T) -> Self {
        let page = page.map(view);
        Self {
            items: page.items,
            next_cursor: page.next.map(|cursor| cursors.seal(cursor)),
        }
    }
}

impl<T: Serialize> List<T> {
    /// The page as an answer of at most `max_answer` bytes: the items that
    /// would not fit are left for the next page, which `nextCursor` starts
    /// at (`cursor` says where each item is in its list). A page keeps at
    /// least one item, so a list always goes on; `max_answer` is at least
    /// the size of the largest record.
    pub fn fitted<U>(
        page: Page<U>,
        view: impl Fn(U) -> T,
        cursor: impl Fn(&U) -> Cursor,
        cursors: &ListCursors<'_>,
        max_answer: usize,
    ) -> Reply<Self, 200> {
        // `{"items":[` + `],"nextCursor":"<80 hex digits>"}`
        const ENVELOPE: usize = 10 + 17 + 80 + 2;
        let mut body = Vec::with_capacity(page.items.len().min(64) * 256);
        body.extend_from_slice(br#"{"items":["#);
        let mut next = page.next;
        let mut last: Option<Cursor> = None;
        for item in page.items {
            let at = cursor(&item);
            let json = serde_json::to_vec(&view(item)).expect("answers serialize");
            let separator = usize::from(last.is_some());
            if let Some(kept) = last {
                if body.len() + separator + json.len() + ENVELOPE > max_answer {
                    next = Some(kept);
                    break;
                }
                body.push(b',');
            }
            body.extend_from_slice(&json);
            last = Some(at);
        }
        body.extend_from_slice(br#"],"nextCursor":"#);
        match next {
            Some(next) => {
                body.push(b'"');
                body.extend_from_slice(cursors.seal(next).as_bytes());
                body.push(b'"');
            }
            None => body.extend_from_slice(b"null"),
        }
        body.push(b'}');
        Reply::json(body)
    }
}

/// A GET's answer: 200 with `T`.
pub type Read<T> = Result<Reply<T, 200>, Problem>;

pub fn ok<T: Serialize>(value: &T) -> Reply<T, 200> {
    Reply::new(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::parse_show_time;

    #[test]
    fn a_created_answer_is_located_by_its_id_under_the_path() {
        let body = br#"{"id":"01J8ZQ","seats":[{"id":"x"}],"show":{"id":"y"}}"#;
        assert_eq!(
            location("/v1/bookings/", 201, body).as_deref(),
            Some("/v1/bookings/01J8ZQ")
        );
        assert_eq!(location("/v1/bookings", 200, body), None);
        assert_eq!(location("/v1/bookings", 201, br#"{"seats":[]}"#), None);
        assert_eq!(location("/v1/bookings", 201, br#"{"id":7}"#), None);
        assert_eq!(location("/v1/bookings", 201, b"not json"), None);
    }

    #[test]
    fn a_page_is_cut_before_the_item_that_would_not_fit() {
        let key = super::super::cursor::CursorKey::new(b"a secret of the database");
        let cursors = key.list("things".into());
        let cursor = |n: &u128| Cursor { at: 0, id: *n };
        let text = |n: u128| "x".repeat(100 + usize::try_from(n).unwrap());
        let page = |items: Vec<u128>| Page { items, next: None };
        let read = |reply: Reply<List<String>, 200>| -> List<String> {
            serde_json::from_slice(&reply.body).unwrap()
        };
        let fitted = |page: Page<u128>, max: usize| List::fitted(page, text, cursor, &cursors, max);
        let whole = read(fitted(page(vec![1, 2, 3]), 1 << 20));
        assert_eq!(whole.items.len(), 3);
        assert_eq!(whole.next_cursor, None);
        // Room for two items of about 100 bytes, not three.
        let cut = fitted(page(vec![1, 2, 3]), 370);
        assert!(cut.body.len() <= 370, "{}", cut.body.len());
        let cut = read(cut);
        assert_eq!(cut.items.len(), 2);
        assert_eq!(cut.next_cursor, Some(cursors.seal(Cursor { at: 0, id: 2 })));
        // One item always goes, so that the list goes on.
        let one = read(fitted(page(vec![7, 8]), 10));
        assert_eq!(one.items.len(), 1);
        assert_eq!(one.next_cursor, Some(cursors.seal(Cursor { at: 0, id: 7 })));
        // A page the store already cut keeps its own cursor.
        let more = Page {
            items: vec![1],
            next: Some(Cursor { at: 5, id: 1 }),
        };
        let more = read(fitted(more, 1 << 20));
        assert_eq!(
            more.next_cursor,
            Some(cursors.seal(Cursor { at: 5, id: 1 }))
        );
    }

    #[test]
    fn times_are_written_with_the_venues_offset_to_the_second() {
        let zone: Tz = "Asia/Kolkata".parse().unwrap();
        let instant = parse_show_time("2030-01-02 18:30", zone).unwrap();
        assert_eq!(rfc3339(instant, zone), "2030-01-02T18:30:00+05:30");
        assert_eq!(
            rfc3339(instant + 1234, Tz::UTC),
            "2030-01-02T13:00:01+00:00"
        );
    }
}
