"""Turn an HTTP response into a parsed success body or a typed error: pure functions, no I/O."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from ._exceptions import (
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
)

T = TypeVar("T")
_SNIPPET: Final = 120
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
_NOT_JSON: Final = object()


def decode(content: bytes) -> Any:
    """The decoded JSON body, or a marker object when the body is not JSON."""
    try:
        return json.loads(content)
    except ValueError:
        return _NOT_JSON


def _snippet(content: bytes) -> str:
    text = " ".join(content.decode("utf-8", errors="replace").split())
    return text if len(text) <= _SNIPPET else text[:_SNIPPET] + "…"


def success(method: str, path: str, status: int, content: bytes, parse: Callable[[Any], T]) -> T:
    """Parse a 2xx response as the operation's documented envelope."""
    data = decode(content)
    problem: str | None = None
    if data is _NOT_JSON:
        problem = f"a body that is not JSON ({_snippet(content) or 'empty'!r})"
    elif not isinstance(data, Mapping):
        problem = f"a JSON {type(data).__name__} instead of the envelope object"
    elif data.get("success") is not True:
        error = data.get("error")
        detail = f": {error.get('code')} {error.get('message')}" if isinstance(error, Mapping) else ""
        problem = f"'success' is {data.get('success')!r}, not true{detail}"
    else:
        try:
            return parse(data)
        except KeyError as exc:
            problem = f"the envelope lacks the documented field {exc.args[0]!r}"
        except (TypeError, ValueError, AttributeError) as exc:
            problem = f"the envelope does not have the documented shape ({exc})"
    raise APIResponseError(
        f"{method} {path} returned {status} with {problem}. This is not Ching's documented response: "
        "check the base URL, or a proxy in between.",
        method=method,
        path=path,
        status_code=status,
        body=content,
    )


def _issues(error: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = error.get("issues")
    return [dict(i) for i in raw if isinstance(i, Mapping)] if isinstance(raw, list) else []


def _describe_issue(issue: Mapping[str, Any]) -> str:
    path = issue.get("path")
    where = ".".join(str(p) for p in path) if isinstance(path, list) else str(path or "?")
    return f"{where}: {issue.get('message', 'invalid')}"


def status_error(
    method: str, path: str, status: int, content: bytes, retry_after: float | None, note: str | None = None
) -> APIStatusError:
    """The typed error for a non-2xx response; ``note`` adds what the SDK did (for example, why it did not retry)."""
    cls = _BY_STATUS.get(status, InternalServerError if status >= 500 else APIStatusError)
    data = decode(content)
    error = data.get("error") if isinstance(data, Mapping) else None
    code: str | None = None
    server_message: str | None = None
    issues: list[dict[str, Any]] = []
    if isinstance(error, Mapping):
        code = error.get("code") if isinstance(error.get("code"), str) else None
        server_message = str(error.get("message")) if error.get("message") is not None else None
        issues = _issues(error)
        said = f"{code or 'no code'}: {server_message or 'no message'}"
    else:
        said = f"a body that is not Ching's error envelope ({_snippet(content) or 'empty'!r})"
    parts = [f"{method} {path} failed with {status} {said}."]
    if issues:
        parts.append("Issues: " + "; ".join(_describe_issue(i) for i in issues) + ".")
    if retry_after is not None:
        parts.append(f"The server asked to wait {retry_after:.0f}s.")
    advice = note or _ADVICE.get(cls)
    if advice:
        parts.append(advice)
    exc = cls(
        " ".join(parts),
        method=method,
        path=path,
        status_code=status,
        code=code,
        server_message=server_message,
        issues=issues,
        body=data if data is not _NOT_JSON else content.decode("utf-8", errors="replace"),
    )
    if isinstance(exc, RateLimitError):
        exc.retry_after = retry_after
    return exc
