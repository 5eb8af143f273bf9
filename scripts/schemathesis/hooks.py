"""boxoffice's own check for Schemathesis (loaded through SCHEMATHESIS_HOOKS).

config.toml lets data that matches the document be answered 400, 406 or 410,
because the service refuses some well-formed requests for reasons no schema
can state. This check makes sure those are the only reasons: any other 400,
406 or 410 to valid data means the document allows something the service
refuses.
"""

import schemathesis

BUSINESS_REFUSALS = {
    400: {
        "Show time cannot be before current time.",
        "Please pass one of the params (movieId or showTime)",
    },
    406: {"Ticket limit exceeded."},
    410: {"Ticket has expired and cannot be changed."},
}


@schemathesis.check
def valid_data_is_refused_only_by_business_rules(ctx, response, case):
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive:
        return None
    allowed = BUSINESS_REFUSALS.get(response.status_code)
    if allowed is None:
        return None
    try:
        message = response.json().get("message")
    except Exception:  # noqa: BLE001 - any unreadable body is a failure here
        message = None
    if message not in allowed:
        raise AssertionError(
            f"Valid data was refused with {response.status_code} {message!r}; "
            f"with this status only {sorted(allowed)} are business refusals"
        )
    return None
