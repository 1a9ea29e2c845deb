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
to do next. They never contain the API key.
"""

from __future__ import annotations

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

    def __init__(self, message: str, *, method: str, path: str, may_have_reached_server: bool) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        #: False when the request certainly never left (connection refused, connect timeout).
        self.may_have_reached_server = may_have_reached_server


class APITimeoutError(APIConnectionError):
    """The call's deadline passed before a response arrived."""


class WriteOutcomeUnknownError(APIConnectionError):
    """A request that is not safe to repeat was sent and its response was lost.

    The write may or may not have happened. It was not retried, because Ching ignores
    idempotency keys and a retry could create a duplicate. Reconcile first: look the
    object up (for customers, ``customers.upsert`` matches on email, tax id or phone).
    """

    def __init__(self, message: str, *, method: str, path: str, timed_out: bool) -> None:
        super().__init__(message, method=method, path=path, may_have_reached_server=True)
        self.timed_out = timed_out


class APIResponseError(ChingError):
    """A response that is not Ching's documented envelope: not JSON, an HTML page, or the wrong shape."""

    def __init__(self, message: str, *, method: str, path: str, status_code: int, body: bytes) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.status_code = status_code
        #: The body as received, up to its first 64 KiB.
        self.body = body


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
    ) -> None:
        super().__init__(message, method=method, path=path, status_code=status_code, body=body)
        #: The operation, as the SDK names it: ``customers.create``.
        self.operation = operation
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
