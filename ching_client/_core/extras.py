"""What a caller sends beyond the spec: ``extra_query`` and ``extra_body`` on a generated operation. Checked
before anything is sent, like any argument; no I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import quote, unquote

from .._runtime.contract import QueryValue, Request
from .._runtime.kinds import InvalidArgument, check_key, check_text, check_texts

_SCALARS: Final = (str, int, float)


def merge(
    request: Request, extra_query: Mapping[str, QueryValue] | None, extra_body: Mapping[str, object] | None
) -> None:
    """Merge ``extra_query`` and ``extra_body`` into ``request`` (built for this call alone), over its own fields.

    Both use the wire names (``taxId``, not ``tax_id``); an extra field replaces the operation's field of that name.
    ``extra_body`` on an operation that sends no body is refused: a GET or a DELETE carries none.
    """
    if extra_query is not None:
        extra = encode_query("extra_query", extra_query)
        names = set(extra_query)
        kept = [pair for pair in request.query.split("&") if pair and unquote(pair.partition("=")[0]) not in names]
        request.query = "&".join([*kept, extra] if extra else kept)
    if extra_body is not None:
        if request.json is None:
            raise InvalidArgument(
                "extra_body",
                f"cannot be sent: {request.method} {request.path} takes no request body (pass extra_query instead)",
            )
        if not isinstance(extra_body, Mapping):
            raise InvalidArgument("extra_body", f"must be a mapping of wire names to values, not {_type(extra_body)}")
        request.json = {**request.json, **checked_json("extra_body", extra_body)}


def encode_query(name: str, query: Mapping[str, QueryValue]) -> str:
    """``query`` as a query string (no ``?``), names and values percent-encoded; a list repeats its name, None is left
    out, booleans are ``true``/``false`` as in JSON."""
    if not isinstance(query, Mapping):
        raise InvalidArgument(name, f"must be a mapping of names to values, not {_type(query)}")
    pairs: list[str] = []
    for key, value in query.items():
        if not isinstance(key, str) or not key:
            raise InvalidArgument(name, f"has the name {key!r}: names are non-empty strings")
        check_key(name, key)
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if item is not None:
                pairs.append(f"{quote(key, safe='')}={quote(_query_text(f'{name}[{key!r}]', item), safe='')}")
    return "&".join(pairs)


def _query_text(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidArgument(name, f"is {value}, which a query cannot carry as a number")
    if not isinstance(value, _SCALARS):
        raise InvalidArgument(name, f"must be a string, a number, a boolean or a list of them, not {_type(value)}")
    return check_text(name, value) if isinstance(value, str) else str(value)


def checked_json(name: str, value: Mapping[str, object]) -> dict[str, Any]:
    """``value`` as a dict, once known to be JSON that UTF-8 can carry: else ``InvalidArgument`` naming ``name``.

    Checked here, before anything is sent: httpx would raise ``TypeError`` or ``ValueError`` while building the
    request, and only ``ChingError`` may escape.
    """
    check_texts(name, value)
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InvalidArgument(name, f"is not JSON: {str(exc)[:200]}") from None
    return dict(value)


def _type(value: object) -> str:
    return type(value).__name__
