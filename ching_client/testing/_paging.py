"""Lists the spec pages (``x-ching-pagination``): the local Ching answers them one page at a time.

Nothing here names an operation: an operation whose spec carries ``x-ching-pagination`` is listed whole by
its rule (or by convention), then cut to the page the query asks for, with the answer's ``has_more`` (and,
for token cursors, the next page's token) set as the extension names them. Without the extension a list is
the 100 most recent, as Ching serves it today.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from ._spec import Operation
from ._wire import ApiError, FakeResponse, json_response

PAGINATION = "x-ching-pagination"
DEFAULT_PAGE_SIZE = 10
"""The page size when the query names none and the spec's parameter has no default (Stripe's)."""
_CURSOR_PREFIX = "pos_"


def is_paged(operation: Operation) -> bool:
    """Whether the spec pages this operation."""
    return isinstance(operation.spec.get(PAGINATION), Mapping)


def _invalid(name: str, message: str) -> ApiError:
    return ApiError(400, "INVALID_FIELD", "Invalid request", issues=[{"path": [name], "message": message}])


def _page_size(operation: Operation, name: str, values: list[str]) -> int:
    schema = next((p.get("schema") or {} for p in operation.spec.get("parameters") or [] if p.get("name") == name), {})
    if not values:
        default = schema.get("default")
        return default if isinstance(default, int) else DEFAULT_PAGE_SIZE
    low, high = schema.get("minimum", 1), schema.get("maximum", 100)
    if not values[0].isdigit() or not low <= int(values[0]) <= high:
        raise _invalid(name, f"must be a whole number from {low} to {high}")
    return int(values[0])


def _position(items: list[Any], name: str, cursor: str) -> int:
    """Where the item with id ``cursor`` is in the whole list."""
    for index, item in enumerate(items):
        if isinstance(item, Mapping) and item.get("id") == cursor:
            return index
    raise _invalid(name, f"no object with id {cursor!r} in this list")


def page(operation: Operation, query: str, response: FakeResponse) -> FakeResponse:
    """The page of a whole-list success answer that ``query`` asks for; any other answer as it is."""
    facts = operation.spec.get(PAGINATION)
    payload = response.payload
    if not isinstance(facts, Mapping) or response.status >= 300 or not isinstance(payload, dict):
        return response
    asked = parse_qs(query, keep_blank_values=True)
    items = list(payload.get(facts["items"]) or [])
    size = _page_size(operation, facts["limit"], asked.get(facts["limit"], []))
    after, before = asked.get(facts["startingAfter"]), asked.get(str(facts.get("endingBefore")))
    extra: dict[str, Any] = {}
    if facts.get("cursorFrom") == "response_field":
        start = 0
        if after:
            if not after[0].startswith(_CURSOR_PREFIX) or not after[0][len(_CURSOR_PREFIX) :].isdigit():
                raise _invalid(facts["startingAfter"], "not a cursor this list gave")
            start = int(after[0][len(_CURSOR_PREFIX) :])
        end = start + size
        extra[facts["cursorField"]] = f"{_CURSOR_PREFIX}{end}" if end < len(items) else None
        window, more = items[start:end], end < len(items)
    elif before and not after:
        end = _position(items, str(facts["endingBefore"]), before[0])
        window, more = items[max(0, end - size) : end], end - size > 0
    else:
        start = _position(items, facts["startingAfter"], after[0]) + 1 if after else 0
        window, more = items[start : start + size], start + size < len(items)
    headers = [(name, value) for name, value in response.headers if name.lower() != "content-type"]
    return json_response(response.status, {**payload, facts["items"]: window, facts["hasMore"]: more, **extra}, headers)
