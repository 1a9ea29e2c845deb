"""Transport-neutral request/response values and the Ching success/error envelopes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

JSON_TYPE = "application/json; charset=utf-8"

Issue = dict[str, object]
"""One validation problem: `{"path": [segment, ...], "message": str}`."""


@dataclass(frozen=True)
class FakeRequest:
    """An HTTP request as the core sees it, whichever adapter received it."""

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    origin: str = "http://ching.test"
    """`scheme://host[:port]` the request was addressed to; used to build absolute URLs."""

    def header(self, name: str) -> str | None:
        """Return a header value by case-insensitive name, or None."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


@dataclass(frozen=True)
class FakeResponse:
    """An HTTP response the core produced: status, header pairs and body bytes."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    payload: Any = field(default=None, compare=False, repr=False)
    """The JSON value ``body`` encodes, when the fake built it (so checking it needs no parsing); else None."""
    note: str | None = field(default=None, compare=False)
    """What the request log should say about how the answer was made (e.g. the spec's example)."""

    def json(self) -> Any:
        """Parse the body as JSON."""
        return json.loads(self.body)


@dataclass(frozen=True)
class Outcome:
    """What an adapter must do: wait `delay` seconds, then send `response` or drop the connection."""

    response: FakeResponse | None
    delay: float = 0.0
    drop: Literal["before", "after"] | None = None
    fault: str | None = None


class ApiError(Exception):
    """A failure to report in Ching's error envelope."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        issues: Sequence[Issue] | None = None,
        details: object = None,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        """Describe the failure; `issues` is set for validation errors."""
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.issues: list[Issue] | None = list(issues) if issues is not None else None
        self.details = details
        self.headers: tuple[tuple[str, str], ...] = tuple(headers)


def invalid(issues: Sequence[Issue], message: str = "Invalid request body") -> ApiError:
    """Build the 400 INVALID_FIELD error for a list of issues."""
    return ApiError(400, "INVALID_FIELD", message, issues=issues)


def issue(path: Sequence[str | int], message: str) -> Issue:
    """Build one validation issue."""
    return {"path": list(path), "message": message}


def dumps(payload: object) -> bytes:
    """Serialise JSON compactly as UTF-8, keeping non-ASCII text readable."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(status: int, payload: object, headers: Sequence[tuple[str, str]] = ()) -> FakeResponse:
    """Build a JSON response."""
    return FakeResponse(status, (("content-type", JSON_TYPE), *headers), dumps(payload), payload)


def success(data: object, *, status: int = 200, action: str | None = None) -> FakeResponse:
    """Wrap `data` in the success envelope (with `action` for upserts)."""
    payload: dict[str, object] = {"success": True}
    if action is not None:
        payload["action"] = action
    payload["data"] = data
    return json_response(status, payload)


def error_response(error: ApiError) -> FakeResponse:
    """Render an ApiError as Ching's failure envelope."""
    body: dict[str, object] = {"status": error.status, "code": error.code, "message": error.message}
    if error.issues is not None:
        body["issues"] = error.issues
    if error.details is not None:
        body["details"] = error.details
    return json_response(error.status, {"success": False, "error": body}, error.headers)
