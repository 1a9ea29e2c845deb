"""Turn an HTTP response into a parsed success body or a typed error: pure functions, no I/O.

Every error made from a response keeps its headers and Ching's request id (``X-Request-Id``), which its
message ends with; ``WriteAppliedError`` and ``APIResponseError`` also name the operation and the attempts made.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from .._exceptions import (
    APIResponseError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    WriteAppliedError,
)
from .._runtime.contract import Operation
from .._runtime.unions import NoShapeMatches

T = TypeVar("T")
_SNIPPET: Final = 120
TEXT_CAP: Final = 1000
"""Characters kept of a text the server sent (its error message, an issue's message) in errors and their messages."""
CODE_CAP: Final = 100
ISSUES_KEPT: Final = 50
ISSUES_SHOWN: Final = 10
"""Validation issues described in an error's message; ``issues`` keeps up to ``ISSUES_KEPT``."""
SHOWN_CAP: Final = 300
"""Characters of the server's message, and of each issue, repeated in an error's message."""
BODY_KEPT: Final = 64 * 1024
"""Bytes of a response body an error keeps in ``body``: a larger body is kept as the start of its text."""
_BY_STATUS: Final[dict[int, type[APIStatusError]]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}
_ADVICE: Final[dict[type[APIStatusError], str]] = {
    BadRequestError: "Fix the fields named above and send again.",
    AuthenticationError: "Check the API key (CHING_API_KEY): it may be mistyped or revoked.",
    PermissionDeniedError: "A live key works only once the project is activated; use a test key until then.",
    NotFoundError: "Check the id, and that it belongs to this project and mode (test or live).",
    ConflictError: "The object conflicts with an existing one; look it up instead of creating it again.",
    UnprocessableEntityError: "Fix the fields named above and send again.",
    RateLimitError: "Slow down; the SDK already retried as the policy allows.",
    InternalServerError: "Ching or a proxy failed; try again later.",
}
_WRONG_URL: Final = (
    "Nothing answered as Ching at this URL: check the base URL (it ends in /ching, such as "
    "https://api.ching.co.il/ching), or a proxy in between."
)
_NOT_JSON: Final = object()
_TOO_DEEP: Final = object()
REQUEST_ID_HEADER: Final = "X-Request-Id"
"""The response header carrying Ching's id of a request (the spec's ``components/headers/RequestId``)."""


def operation_name(operation: Operation) -> str:
    """The operation as users call it: ``customers.create`` for ``customers_create``."""
    return operation.operation_id.replace("_", ".", 1)


def request_id_of(headers: Mapping[str, str] | None) -> str | None:
    """The response's request id (``X-Request-Id``), capped like any text the server sends; None when absent."""
    value = headers.get(REQUEST_ID_HEADER) if headers is not None else None
    if value is None or not value.strip():
        return None
    return capped(value.strip(), CODE_CAP)


def for_support(request_id: str | None) -> str:
    """The end of an error's message: the request id to give Ching support, when the response had one."""
    return f" Request id for Ching support: {request_id}" if request_id else ""


def call_named(operation: Operation | None, method: str, path: str, attempts: int | None) -> str:
    """``customers.create (POST /v1/customers, 2 attempts)``: how a message names the call it ends."""
    if operation is None:
        return f"{method} {path}"
    tried = f", {attempts} attempt{'' if attempts == 1 else 's'}" if attempts else ""
    return f"{operation_name(operation)} ({method} {path}{tried})"


def decode(content: bytes) -> Any:
    """The decoded JSON body, or a marker object when the body is not JSON or nests too deeply to decode."""
    try:
        return json.loads(content)
    except ValueError:
        return _NOT_JSON
    except RecursionError:  # nested deeper than Python's recursion limit allows the decoder to go
        return _TOO_DEEP


def _snippet(content: bytes) -> str:
    text = " ".join(content[: _SNIPPET * 4].decode("utf-8", errors="replace").split())
    return text if len(text) <= _SNIPPET else text[:_SNIPPET] + "…"


def capped(text: str, cap: int = TEXT_CAP) -> str:
    """``text``, or its first ``cap`` characters and how long it was."""
    return text if len(text) <= cap else f"{text[:cap]}… ({len(text):,} characters in all)"


def _text(value: object, cap: int = TEXT_CAP) -> str | None:
    """A scalar the server sent, as capped text; None for anything else (a list or object is no message)."""
    if isinstance(value, str):
        return capped(value, cap)
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _kept_body(content: bytes) -> bytes:
    return content if len(content) <= BODY_KEPT else content[:BODY_KEPT]


def _not_json(content: bytes, data: object) -> str:
    if data is _TOO_DEEP:
        return f"a JSON body nested too deeply to decode ({_snippet(content)!r})"
    return f"a body that is not JSON ({_snippet(content) or 'empty'!r})"


def success(
    operation: Operation,
    path: str,
    status: int,
    content: bytes,
    parse: Callable[[Any], T],
    *,
    attempts: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> T:
    """Parse a 2xx response as the operation's documented envelope; ``attempts`` and the answer's ``headers`` go
    into the errors it may raise.

    A body that is not a ``success: true`` envelope proves nothing: ``APIResponseError``. An envelope that says
    ``success: true`` but cannot be read as the spec says proves that a write happened: for any operation but a
    GET that is ``WriteAppliedError``, which nothing retries, so a create is never sent twice.
    """
    method = operation.method
    data = decode(content)
    problem: str | None = None
    if data is _NOT_JSON or data is _TOO_DEEP:
        problem = _not_json(content, data)
    elif not isinstance(data, Mapping):
        problem = f"a JSON {type(data).__name__} instead of the envelope object"
    elif data.get("success") is not True:
        error = data.get("error")
        detail = ""
        if isinstance(error, Mapping):
            detail = f": {_text(error.get('code'), CODE_CAP)} {_text(error.get('message'))}"
        problem = f"'success' is {_text(data.get('success'), CODE_CAP)}, not true{detail}"
    else:
        try:
            return parse(data)
        except KeyError as exc:
            problem = f"the documented field {_text(exc.args[0], CODE_CAP)!r} missing"
        except NoShapeMatches as exc:
            problem = capped(str(exc), SHOWN_CAP)
        # What reading data of the wrong shape raises. Not ``Exception``: a signal handler's exception raised while
        # parsing belongs to the caller, not to the body.
        except (LookupError, TypeError, ValueError, AttributeError, ArithmeticError, RecursionError) as exc:
            problem = f"the envelope does not have the documented shape ({capped(str(exc), _SNIPPET)})"
        if method != "GET":
            raise write_applied(operation, path, status, problem, content, data, attempts=attempts, headers=headers)
    raise undocumented(method, path, status, problem, content, operation=operation, attempts=attempts, headers=headers)


def write_applied(
    operation: Operation,
    path: str,
    status: int,
    problem: str,
    content: bytes,
    envelope: Mapping[str, Any],
    *,
    attempts: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> WriteAppliedError:
    """The error for a write Ching says it applied (``success: true``) whose answer cannot be read as documented."""
    data = envelope.get("data")
    raw_id = data.get("id") if isinstance(data, Mapping) else None
    object_id = capped(raw_id, CODE_CAP) if isinstance(raw_id, str) and raw_id else None
    action = envelope.get("action")
    if operation.safe_to_repeat:
        advice = "Sending it again is not needed (though harmless: the operation is safe to repeat)"
    else:
        advice = "Do not send it again: Ching ignores idempotency keys, so that would apply it twice (a duplicate)"
    look = f"look the object up by its id ({object_id})" if object_id else "look the object up"
    request_id = request_id_of(headers)
    return WriteAppliedError(
        f"{call_named(operation, operation.method, path, attempts)} returned {status} with success: true, so Ching "
        f"applied the write, but its answer does not have the documented shape: {problem}. The spec may be ahead of "
        f"the server, or a proxy in between trimmed the answer. {advice}; {look} to see it as it is."
        + for_support(request_id),
        method=operation.method,
        path=path,
        status_code=status,
        body=_kept_body(content),
        operation=operation_name(operation),
        data=data,
        object_id=object_id,
        action=capped(action, CODE_CAP) if isinstance(action, str) else None,
        attempts=attempts,
        headers=headers,
        request_id=request_id,
    )


def undocumented(
    method: str,
    path: str,
    status: int,
    problem: str,
    content: bytes = b"",
    *,
    operation: Operation | None = None,
    attempts: int | None = None,
    headers: Mapping[str, str] | None = None,
) -> APIResponseError:
    """The error for a response that is not Ching's documented envelope (``problem`` says how)."""
    request_id = request_id_of(headers)
    return APIResponseError(
        f"{call_named(operation, method, path, attempts)} returned {status} with {problem}. This is not Ching's "
        "documented response: check the base URL, or a proxy in between." + for_support(request_id),
        method=method,
        path=path,
        status_code=status,
        body=_kept_body(content),
        operation=operation_name(operation) if operation is not None else None,
        attempts=attempts,
        headers=headers,
        request_id=request_id,
    )


def _issues(error: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Ching's validation issues, each with a ``path`` of text or number segments and a capped ``message``."""
    raw = error.get("issues")
    if not isinstance(raw, list):
        return []
    issues: list[dict[str, Any]] = []
    for item in raw:
        if len(issues) == ISSUES_KEPT:
            break
        if not isinstance(item, Mapping):
            continue
        issue: dict[str, Any] = {}
        path = item.get("path")  # documented as a list of segments; one source shows a plain string
        if isinstance(path, list):
            issue["path"] = [s if isinstance(s, int) else _text(s, CODE_CAP) or "?" for s in path[:20]]
        elif path is not None:
            issue["path"] = _text(path, CODE_CAP) or "?"
        message = _text(item.get("message"))
        if message is not None:
            issue["message"] = message
        issues.append(issue)
    return issues


def _describe_issue(issue: Mapping[str, Any]) -> str:
    path = issue.get("path")
    where = ".".join(str(p) for p in path) if isinstance(path, list) else path
    return capped(f"{where or '?'}: {issue.get('message', 'invalid')}", SHOWN_CAP)


def status_error(
    method: str,
    path: str,
    status: int,
    content: bytes,
    retry_after: float | None,
    note: str | None = None,
    *,
    route_has_id: bool = True,
    headers: Mapping[str, str] | None = None,
) -> APIStatusError:
    """The typed error for a non-2xx response; ``note`` adds what the SDK did (for example, why it did not retry).

    A 404 to a route without an id (a list, a create, an upsert) cannot be a missing object: like a 4xx (or 501)
    whose body is not Ching's envelope, it says the base URL points somewhere else, and the message says so.
    """
    cls = _BY_STATUS.get(status, InternalServerError if status >= 500 else APIStatusError)
    data = decode(content)
    error = data.get("error") if isinstance(data, Mapping) else None
    code: str | None = None
    server_message: str | None = None
    issues: list[dict[str, Any]] = []
    if isinstance(error, Mapping):
        code = _text(error.get("code"), CODE_CAP) if isinstance(error.get("code"), str) else None
        server_message = _text(error.get("message"))
        issues = _issues(error)
        said = f"{code or 'no code'}: {capped(server_message, SHOWN_CAP) if server_message else 'no message'}"
    else:
        said = f"a body that is not Ching's error envelope ({_snippet(content) or 'empty'!r})"
    parts = [f"{method} {path} failed with {status} {said}."]
    if issues:
        shown = "; ".join(_describe_issue(i) for i in issues[:ISSUES_SHOWN])
        more = f" (and {len(issues) - ISSUES_SHOWN} more)" if len(issues) > ISSUES_SHOWN else ""
        parts.append(f"Issues: {shown}{more}.")
    if retry_after is not None:
        parts.append(f"The server asked to wait {retry_after:.0f}s.")
    # 501 is what a web server that is not an API answers a POST with (Python's http.server, say).
    not_ching = (400 <= status < 500 or status == 501) and not isinstance(error, Mapping)
    wrong_url = (status == 404 and not route_has_id) or not_ching
    advice = note or (_WRONG_URL if wrong_url else _ADVICE.get(cls))
    if advice:
        parts.append(advice)
    request_id = request_id_of(headers)
    exc = cls(
        " ".join(parts) + for_support(request_id),
        method=method,
        path=path,
        status_code=status,
        code=code,
        server_message=server_message,
        issues=issues,
        body=_status_body(content, data),
        headers=headers,
        request_id=request_id,
    )
    if isinstance(exc, RateLimitError):
        exc.retry_after = retry_after
    return exc


def _status_body(content: bytes, data: object) -> Any:
    """What an ``APIStatusError`` keeps as ``body``: the decoded body, or its text when it is not JSON or large."""
    if len(content) > BODY_KEPT:
        text = content[:BODY_KEPT].decode("utf-8", errors="replace")
        return f"{text}… (the first {BODY_KEPT:,} of {len(content):,} bytes)"
    if data is _NOT_JSON or data is _TOO_DEEP:
        return content.decode("utf-8", errors="replace")
    return data
