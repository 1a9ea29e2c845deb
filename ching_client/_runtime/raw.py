"""``RawResponse``: a call's HTTP answer as it came, for ``with_raw_response`` and ``with_raw_response.request``."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from typing import Final, Generic, TypeVar, cast

T = TypeVar("T")
_UNREAD: Final = object()


class RawResponse(Generic[T]):
    """The answer to one call, already read in full: its status, headers and body, and how the call went.

    ``parse()`` gives exactly what the plain call returns (``ching.customers.with_raw_response.retrieve(id)
    .parse()`` is the ``Customer`` that ``ching.customers.retrieve(id)`` returns), raising the same errors it
    would; it is a plain method on both clients, as the body is already read. A call that fails (a 404, a
    timeout) raises as the plain call does: a ``RawResponse`` is always the answer of a call that succeeded.
    """

    __slots__ = (
        "_parse",
        "_parsed",
        "attempts",
        "content",
        "elapsed",
        "headers",
        "http_method",
        "operation",
        "request_id",
        "status_code",
        "url",
    )

    def __init__(
        self,
        *,
        operation: str,
        http_method: str,
        url: str,
        status_code: int,
        headers: Mapping[str, str],
        request_id: str | None,
        content: bytes,
        elapsed: datetime.timedelta,
        attempts: int,
        parse: Callable[[], T],
    ) -> None:
        #: The method called, as users call it: ``customers.retrieve``; ``request`` for ``ching.request()``.
        self.operation: str = operation
        #: The HTTP method sent: ``GET``, ``POST``...
        self.http_method: str = http_method
        #: The URL the request went to, its query included.
        self.url: str = url
        #: The answer's HTTP status: 200 or another 2xx.
        self.status_code: int = status_code
        #: The answer's headers, looked up case-insensitively (``headers["x-request-id"]``), as httpx gives them.
        self.headers: Mapping[str, str] = headers
        #: Ching's id of the request (the ``X-Request-Id`` header), to give Ching support; None when absent.
        self.request_id: str | None = request_id
        #: The answer's body, decoded from gzip or deflate: Ching's JSON envelope, as bytes.
        self.content: bytes = content
        #: The whole call, as a ``timedelta``: from the first attempt until the answer's body was read, every
        #: attempt and every wait between retries included.
        self.elapsed: datetime.timedelta = elapsed
        #: The attempts made, this answer's included: 1 unless the call was retried.
        self.attempts: int = attempts
        self._parse = parse
        self._parsed: object = _UNREAD

    def parse(self) -> T:
        """What the plain call returns, read from this answer (once: later calls return the same object)."""
        if self._parsed is _UNREAD:
            self._parsed = self._parse()
        return cast("T", self._parsed)

    def __repr__(self) -> str:
        # Neither the URL nor the body: its query and the answer may carry personal data, and reprs reach logs.
        return (
            f"<RawResponse {self.operation} {self.status_code}, {self.attempts} attempt"
            f"{'' if self.attempts == 1 else 's'}, request id {self.request_id or 'none'}>"
        )
