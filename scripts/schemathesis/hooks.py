"""boxoffice's own check for Schemathesis (loaded through SCHEMATHESIS_HOOKS).

config.toml lets data that matches the document be answered 400, 404, 406,
409, 410 or 422, because the service refuses some well-formed requests for
reasons no schema can state. This check makes sure those are the only
reasons: any other such answer to valid data means the document allows
something the service refuses.

/api refusals are told apart by their message, /v1 refusals (RFC 9457
problem details) by their `type`, and for 400 and 422 by their detail too,
since `urn:boxoffice:bad-request` and `urn:boxoffice:invalid` also stand for
malformed input. A cursor that matches the document's pattern but was not
given by the service for that list is such a refusal: its tag is a secret.
"""

import re
import uuid

import schemathesis

KEY = re.compile(r"[ -~]{1,255}")

API_REFUSALS = {
    400: {
        "Show time cannot be before current time.",
        "Please pass one of the params (movieId or showTime)",
    },
    404: {
        "Ticket ID does not exist in Database.",
        "Movie ID does not exist in Database.",
        "Could not find a movie that match provided details.",
    },
    406: {"Ticket limit exceeded."},
    410: {"Ticket has expired and cannot be changed."},
}

V1_REFUSALS = {
    400: {"bad-request"},
    404: {"not-found"},
    409: {
        "seats-taken",
        "not-enough-seats",
        "show-started",
        "screen-busy",
        "in-use",
        "too-many-screens",
        "too-many-price-records",
    },
    410: {"expired", "hold-expired"},
    # A ticket type id of the right shape that names no ticket type.
    422: {"invalid", "unknown-ticket-type"},
    # The limits on one anonymous client: its share of a show, its live
    # holds, its cooldown, its stored Idempotency-Key answers.
    429: {"too-many-holds", "too-many-keys", "too-many-attempts"},
}

# /api's 429: the client keeps as many Idempotency-Key answers as it may.
API_TOO_MANY_KEYS = re.compile(
    r"Too many Idempotency-Key answers are kept for this client\. Nothing was changed; "
    r"retry in [0-9]+ s\."
)

# /api's 409: a show its price cards do not price (the generated data may
# delete or narrow the cards and ticket types).
API_NOT_PRICED = re.compile(r"This show cannot be sold now: .+\.")

# The refusals behind a 400 `bad-request` that no schema can state: a cursor
# of the right shape whose signature is not the service's for that list.
V1_BAD_REQUEST_DETAILS = [
    re.compile(
        r"cursor is not one this service gave for this list: pass nextCursor of the "
        r"previous page, with the same filters, as is\."
    )
]

# The refusals behind a 422 `invalid` that no schema can state.
V1_INVALID_DETAILS = [
    re.compile(pattern)
    for pattern in (
        r"No such seats on this screen: .+\.",
        r"This show has no seat map: book by count\.",
        r"The show would start in the past\.",
        r"Row [A-Z]{1,3} appears more than once\.",
        r"Seat [A-Z]{1,3}[0-9]{1,4} appears more than once\.",
        r"The seat map has more than [0-9]+ seats\.",
        r"A seat map has at most [0-9]+ rows \(max_rows\)\.",
        r"A row has at most [0-9]+ seats \(max_row_seats\)\.",
        r"A seat map has at most [0-9]+ seats \(max_screen_seats\)\.",
        r"Every seat on the map is blocked\.",
        r"No such ticket type: .+\.",
        r"tickets must be all by seat or all by count\.",
        r"rules\.dates\.(from|to) must be a date YYYY-MM-DD\.",
        r"rules\.times\.(from|to) must be a time HH:MM\.",
        # A card's time window and date range, across their two fields.
        r"rules\.times must not start and end at the same minute\.",
        r"rules\.dates must not end before it starts\.",
        r"tickets\[[0-9]+\]\.seat must be a seat name, or give a count instead\.",
        # Pairs of a type and a seat kind are unique: entries that differ
        # only in unknown members still repeat one.
        r"prices must price each type on each seat kind once\.",
    )
]


def _json(response):
    try:
        body = response.json()
    except Exception:  # noqa: BLE001 - any unreadable body is a failure here
        return {}
    return body if isinstance(body, dict) else {}


def _api_refusal(status, body):
    message = body.get("message")
    if status == 429 and API_TOO_MANY_KEYS.fullmatch(message or ""):
        return
    if status == 409 and API_NOT_PRICED.fullmatch(message or ""):
        return
    allowed = API_REFUSALS.get(status, set())
    if message not in allowed:
        raise AssertionError(
            f"Valid data was refused with {status} {message!r}; "
            f"with this status only {sorted(allowed)} are business refusals"
        )


def _v1_refusal(status, response, body):
    allowed = V1_REFUSALS.get(status)
    kind = body.get("type", "")
    slug = kind.removeprefix("urn:boxoffice:")
    content_type = "".join(response.headers.get("content-type", [])[:1])
    if allowed is None or not kind.startswith("urn:boxoffice:") or slug not in allowed:
        raise AssertionError(
            f"Valid data was refused with {status} {kind!r} ({body.get('detail')!r}); "
            f"with this status only {sorted(allowed or [])} are business refusals"
        )
    if not content_type.startswith("application/problem+json"):
        raise AssertionError(f"A /v1 refusal came as {content_type!r}")
    if status == 400:
        detail = body.get("detail", "")
        if not any(pattern.fullmatch(detail) for pattern in V1_BAD_REQUEST_DETAILS):
            raise AssertionError(
                f"Valid data was refused with 400 {detail!r}: no schema-invisible rule says so"
            )
    if status == 422:
        detail = body.get("detail", "")
        if not any(pattern.fullmatch(detail) for pattern in V1_INVALID_DETAILS):
            raise AssertionError(
                f"Valid data was refused with 422 {detail!r}: no schema-invisible rule says so"
            )


# The service under test keeps the default JSON limit (`limits.json`, 16 KiB).
JSON_LIMIT = 16 * 1024


def _too_large(response, body):
    """413 is a business refusal only for a body over the configured limit,
    which no schema states (generated objects may carry any extra member)."""
    sent = response.request.body or b""
    size = len(sent.encode() if isinstance(sent, str) else sent)
    if size <= JSON_LIMIT:
        raise AssertionError(f"A body of {size} bytes, within the {JSON_LIMIT}-byte limit, was refused with 413")
    kind = body.get("type")
    if kind is not None and kind != "urn:boxoffice:too-large":
        raise AssertionError(f"A body over the limit was refused as {kind!r}")


@schemathesis.hook
def before_call(context, case, kwargs):
    """In valid data, the Idempotency-Key is made unique to its request, as
    the document asks of clients ("unique per request"): generated data
    repeats the same few keys across different requests, which the service
    rightly refuses as reused keys. Invalid data goes as generated (an edit
    would make Schemathesis judge the case afresh, and send headers it meant
    to leave out); its requests are refused before any key is stored."""
    meta = case.meta
    if meta is not None and not meta.generation.mode.is_positive:
        return
    headers = case.headers or {}
    for name in list(headers):
        value = headers[name]
        if name.lower() == "idempotency-key" and isinstance(value, str) and KEY.fullmatch(value):
            headers[name] = f"st-{uuid.uuid4()}"


@schemathesis.check
def valid_data_is_refused_only_by_business_rules(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    status = response.status_code
    if status < 400 or status == 401:
        return None
    body = _json(response)
    if status == 413:
        _too_large(response, body)
        return None
    if case.path.startswith("/v1"):
        _v1_refusal(status, response, body)
    elif status in API_REFUSALS or status == 429:
        _api_refusal(status, body)
    return None
