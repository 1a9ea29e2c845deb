"""What a caller sends beyond the spec: ``extra_query`` and ``extra_body`` on a generated operation, and
``request()`` for an endpoint the spec lacks. Checked before anything is sent, like any argument; no I/O.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import quote, unquote

from .._exceptions import InvalidArgumentError
from .._runtime.contract import Operation, QueryValue, Request
from .._runtime.kinds import InvalidArgument, check_key, check_text, check_texts

METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")
CUSTOM: Final = "request"
"""The operation id of ``request()`` calls: errors, log lines and raw responses name them ``request``."""
# Headers the HTTP client owns: they frame the message or concern one connection (RFC 9110, 7.6.1).
# Set by a caller they could break the framing of this request or smuggle another one.
_OWNED_HEADERS: Final = frozenset(
    {
        "host",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "upgrade",
        "expect",
    }
)
_HEADER_NAME: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE: Final = re.compile(r"(?:[\x21-\x7e](?:[ \t]*[\x21-\x7e])*)?")
_DOT_SEGMENT: Final = re.compile(r"(?:^|/)\.{1,2}(?:/|$)")
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


def check_headers(argument: str, headers: Mapping[str, str]) -> None:
    """Refuse headers that httpx would refuse only while sending, or that would break the request's framing."""
    if not isinstance(headers, Mapping):
        raise InvalidArgumentError(f"{argument} must map strings to strings.", argument=argument)
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise InvalidArgumentError(f"{argument} must map strings to strings.", argument=argument)
        lowered = name.lower()
        if lowered == "authorization":
            raise InvalidArgumentError(
                f"{argument} cannot set Authorization; pass api_key to the client.", argument=argument
            )
        if lowered in _OWNED_HEADERS:
            raise InvalidArgumentError(
                f"{argument} cannot set {name}: the HTTP client sets the headers that frame a request or "
                "concern its connection.",
                argument=argument,
            )
        if not _HEADER_NAME.fullmatch(name):
            raise InvalidArgumentError(
                f"{argument}: {name!r} is not a header name (letters, digits and !#$%&'*+-.^_`|~ only).",
                argument=argument,
            )
        # The value is not repeated in the message: it may be a secret of the caller's.
        if not _HEADER_VALUE.fullmatch(value):
            raise InvalidArgumentError(
                f"{argument}: the value of {name} has a line break, a control character, non-ASCII text or "
                "surrounding whitespace, which HTTP headers cannot carry; encode it (for example with "
                "urllib.parse.quote) or strip it.",
                argument=argument,
            )


def custom_request(
    method: str,
    path: str,
    query: Mapping[str, QueryValue] | None,
    body: Mapping[str, object] | None,
    headers: Mapping[str, str] | None,
    safe_to_retry: bool | None,
) -> tuple[Operation, Callable[[], Request]]:
    """The operation and the request builder of ``request(method, path, ...)``; a bad argument raises
    ``InvalidArgumentError`` at once.

    Only a GET is retried unless ``safe_to_retry`` says otherwise: the SDK cannot know whether an endpoint it has
    no spec for is safe to repeat, and the retry policy never sends again what may have been applied.
    """
    if not isinstance(method, str) or method.upper() not in METHODS:
        shown = repr(method) if isinstance(method, str) and len(method) <= 10 else _type(method)
        raise _refused("method", f"must be one of {', '.join(METHODS)}, not {shown}")
    verb = method.upper()
    _check_path(path)
    if headers is not None:
        check_headers("headers", headers)
    if safe_to_retry is not None and not isinstance(safe_to_retry, bool):
        raise _refused("safe_to_retry", f"must be True, False or None, not {_type(safe_to_retry)}")
    if body is not None and verb == "GET":
        raise _refused("body", "cannot be sent with GET: pass query instead")
    if body is not None and not isinstance(body, Mapping):
        raise _refused("body", f"must be a mapping (a JSON object), not {_type(body)}")
    try:
        encoded = encode_query("query", query) if query is not None else ""
        json_body = checked_json("body", body) if body is not None else None
    except InvalidArgument as exc:
        raise _refused(exc.argument, exc.problem) from None
    # The template is the whole path, so a path too long for any server is refused naming `path`.
    operation = Operation(
        operation_id=CUSTOM,
        method=verb,
        path="{path}",
        safe_to_repeat=verb == "GET" if safe_to_retry is None else safe_to_retry,
    )
    return operation, lambda: Request(verb, path, query=encoded, json=json_body)


def data_of(envelope: Any) -> Any:
    """The ``data`` of Ching's success envelope, as decoded JSON: what ``request()`` returns."""
    return envelope["data"]


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


def _check_path(path: object) -> None:
    """Refuse anything but a path relative to the base URL: an absolute URL would send the key to another host."""
    if not isinstance(path, str):
        raise _refused("path", f"must be a string such as '/v1/customers/cus_x', not {_type(path)}")
    if "://" in path or path.startswith("//") or (path[:1] != "/" and ":" in path.partition("/")[0]):
        raise _refused(
            "path",
            "must be relative to the client's base URL, such as '/v1/customers/cus_x'; an absolute URL is refused "
            "so that the API key goes to Ching only",
        )
    if not path.startswith("/"):
        raise _refused("path", "must start with '/', as in '/v1/customers/cus_x'")
    if "?" in path or "#" in path:
        raise _refused("path", "must not carry a query or a fragment: pass the query as query={...}")
    if _DOT_SEGMENT.search(path):
        raise _refused("path", "must not have '.' or '..' segments, which would leave the base URL")
    if not (path.isascii() and path.isprintable()) or " " in path or "\\" in path:
        raise _refused(
            "path",
            "has a space, a backslash, a control or a non-ASCII character: percent-encode each segment "
            "(urllib.parse.quote(segment, safe=''))",
        )


def _refused(argument: str, problem: str) -> InvalidArgumentError:
    return InvalidArgumentError(f"{CUSTOM}: {argument}: {problem}.", argument=argument)


def _type(value: object) -> str:
    return type(value).__name__
