"""Every failure the SDK raises is a ``ChingError``.

    ChingError
    ├── ConfigurationError ............ the client cannot be built (key, base URL)
    ├── ClientClosedError ............. the client was closed; calls need an open one (also a RuntimeError)
    ├── InvalidArgumentError .......... an argument was refused before anything was sent (also a ValueError)
    ├── APIConnectionError ............ no usable response arrived
    │   ├── APITimeoutError ........... the call's deadline passed
    │   └── WriteOutcomeUnknownError .. a create was sent and lost: it may have happened; not retried
    ├── APIResponseError .............. a response that is not Ching's documented envelope
    │   └── WriteAppliedError ......... a write succeeded but its answer has the wrong shape: not retried
    └── APIStatusError ................ Ching answered with an error status
        ├── BadRequestError ........... 400
        ├── AuthenticationError ....... 401
        ├── PermissionDeniedError ..... 403
        ├── NotFoundError ............. 404
        ├── ConflictError ............. 409
        ├── UnprocessableEntityError .. 422
        ├── RateLimitError ............ 429
        └── InternalServerError ....... 5xx

Messages name the method, path, status, code and the server's message, and say what
to do next. They never contain the API key. An error made from a response keeps its headers
and Ching's request id (``X-Request-Id``), which its message ends with: what to give Ching support.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

__all__ = [
    "APIConnectionError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChingError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "UnprocessableEntityError",
    "WriteAppliedError",
    "WriteOutcomeUnknownError",
]


def _rebuild(cls: type[ChingError], message: str, state: dict[str, Any]) -> ChingError:
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class _Headers(Mapping[str, str]):
    """A response's headers, read-only and looked up case-insensitively (``headers["retry-after"]``, as in httpx).

    Built from the response's header lines; a header sent several times reads as its values joined by ", ", as
    httpx shows it. Plain data (no httpx object), so an error pickles and prints the same everywhere.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        merged: dict[str, str] = {}
        for name, value in items.items() if isinstance(items, Mapping) else items:
            key = name.lower()
            merged[key] = f"{merged[key]}, {value}" if key in merged else value
        self._items = merged

    def __getitem__(self, name: str) -> str:
        if not isinstance(name, str):
            raise KeyError(name)
        return self._items[name.lower()]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Headers({self._items!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Headers, (self._items,))


_NO_HEADERS: Mapping[str, str] = _Headers()


def _headers(headers: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> Mapping[str, str]:
    return _NO_HEADERS if headers is None else _Headers(headers)


class ChingError(Exception):
    """Base class of every error the SDK raises."""

    message: str

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle with all attributes, so errors survive process pools and task queues."""
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


class ConfigurationError(ChingError):
    """The client cannot be built as configured: raised by the constructor, never at the first call."""


class ClientClosedError(ChingError, RuntimeError):
    """A call on a client that was closed (``close()``, ``aclose()`` or the end of its ``with`` block)."""


class InvalidArgumentError(ChingError, ValueError):
    """An argument was refused before any request was sent."""

    def __init__(self, message: str, *, argument: str | None = None) -> None:
        super().__init__(message)
        self.argument = argument


class APIConnectionError(ChingError):
    """No usable response arrived: the connection failed, dropped or timed out."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        may_have_reached_server: bool,
        operation: str | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        #: False when the request certainly never left (connection refused, connect timeout).
        self.may_have_reached_server = may_have_reached_server
        #: The operation, as the SDK names it (``customers.create``); None only for an error built outside a call.
        self.operation = operation
        #: How many attempts the call made, the last one included; None only for an error built outside a call.
        self.attempts = attempts


class APITimeoutError(APIConnectionError):
    """The call's deadline passed before a response arrived."""


class WriteOutcomeUnknownError(APIConnectionError):
    """A request that is not safe to repeat was sent and its response was lost.

    The write may or may not have happened. It was not retried, because Ching ignores
    idempotency keys and a retry could create a duplicate. Reconcile first: look the
    object up (for customers, ``customers.upsert`` matches on email, tax id or phone).
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        timed_out: bool,
        operation: str | None = None,
        attempts: int | None = None,
    ) -> None:
        super().__init__(
            message, method=method, path=path, may_have_reached_server=True, operation=operation, attempts=attempts
        )
        self.timed_out = timed_out


class APIResponseError(ChingError):
    """A response that is not Ching's documented envelope: not JSON, an HTML page, or the wrong shape."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status_code: int,
        body: bytes,
        operation: str | None = None,
        attempts: int | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.status_code = status_code
        #: The body as received, up to its first 64 KiB.
        self.body = body
        #: The operation, as the SDK names it (``customers.create``); None only for an error built outside a call.
        self.operation = operation
        #: How many attempts the call made, the last one included; None only for an error built outside a call.
        self.attempts = attempts
        #: The response's headers: a read-only mapping, looked up case-insensitively.
        self.headers: Mapping[str, str] = _headers(headers)
        #: The response's ``X-Request-Id`` (what to give Ching support), or None when it had none.
        self.request_id = request_id


class WriteAppliedError(APIResponseError):
    """Ching applied a write (a 2xx with ``success: true``), but its answer does not have the documented shape.

    The spec may be ahead of the server, or a proxy trimmed the answer. Unlike its parent, this error
    proves the write happened, so nothing in the SDK retries it (``upsert_many`` counts the row as
    applied). Do not send the request again: look the object up by ``object_id`` instead.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status_code: int,
        body: bytes,
        operation: str,
        data: Any,
        object_id: str | None,
        action: str | None,
        attempts: int | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message,
            method=method,
            path=path,
            status_code=status_code,
            body=body,
            operation=operation,
            attempts=attempts,
            headers=headers,
            request_id=request_id,
        )
        #: The envelope's ``data`` as decoded from JSON (the object Ching wrote, as it sent it), or None.
        self.data = data
        #: The written object's id (``cus_…``, ``prod_…``), when the answer carries one.
        self.object_id = object_id
        #: The envelope's ``action`` (an upsert's ``created`` or ``updated``), when the answer carries one.
        self.action = action


class APIStatusError(ChingError):
    """Ching answered with an error status; ``code`` and ``issues`` come from its error envelope."""

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        status_code: int,
        code: str | None,
        server_message: str | None,
        issues: list[dict[str, Any]],
        body: Any,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.status_code = status_code
        #: Ching's error code, such as ``INVALID_FIELD`` or ``EMAIL_EXISTS`` (an open set), if the body had one.
        self.code = code
        self.server_message = server_message
        #: Validation problems, each ``{"path": [...], "message": ...}``.
        self.issues = issues
        #: The decoded body (or the raw text when it was not JSON); over 64 KiB, the start of its text.
        self.body = body
        #: The response's headers: a read-only mapping, looked up case-insensitively. Never the request's.
        self.headers: Mapping[str, str] = _headers(headers)
        #: The response's ``X-Request-Id`` (what to give Ching support; the message ends with it), or None.
        self.request_id = request_id


class BadRequestError(APIStatusError):
    """400: validation failed or a business rule was broken; see ``issues``."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, malformed or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: for example a live key before the project is activated."""


class NotFoundError(APIStatusError):
    """404: no such object in this project and mode."""


class ConflictError(APIStatusError):
    """409: a duplicate email or tax id, or a customer that cannot be deleted yet."""


class UnprocessableEntityError(APIStatusError):
    """422: valid JSON, but a semantic rule failed."""


class RateLimitError(APIStatusError):
    """429: too many requests; ``retry_after`` is the wait the server asked for, in seconds, if any."""

    retry_after: float | None = None


class InternalServerError(APIStatusError):
    """5xx: Ching or a proxy in front of it failed."""
