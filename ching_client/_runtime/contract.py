"""The contract between the generated resources and the clients: operations, requests, requesters.

Generated endpoint modules describe each operation (``Operation``) and build its ``Request``; the
generated resources hand both to a requester, which the clients implement (``AsyncChing._request``,
``Ching._request``): the requester owns retries, deadlines and error mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, TypedDict, TypeVar, Unpack, overload

from attrs import frozen

from .timeout import Timeout

if TYPE_CHECKING:
    from .raw import RawResponse

T = TypeVar("T")
QueryValue: TypeAlias = "str | int | float | bool | Sequence[str | int | float | bool] | None"
"""A value of ``extra_query`` or ``request(query=...)``: a list repeats its name (``a=1&a=2``); None leaves it out."""


@frozen
class Operation:
    """One API operation, with the facts the spec states about it."""

    operation_id: str
    method: str
    #: The path template, such as ``/v1/customers/{id}``.
    path: str
    #: From ``x-ching-safe-to-repeat``: sending the request twice has the effect of sending it once.
    safe_to_repeat: bool


class Request:
    """One request, ready to send: built (and its arguments checked) before any attempt."""

    __slots__ = ("headers", "json", "method", "path", "query")

    def __init__(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> None:
        self.method = method
        #: The path with its parameters filled in and percent-encoded (no query string).
        self.path = path
        #: The encoded query string without its ``?``, or ``""``.
        self.query = query
        #: Header parameters of the operation, already serialized.
        self.headers = headers
        #: The JSON body, or None for a request without one.
        self.json = json

    def __repr__(self) -> str:
        target = f"{self.path}?{self.query}" if self.query else self.path
        return f"Request({self.method} {target})"


class CallOptions(TypedDict):
    """The options every resource method passes on to its requester, for that call alone."""

    timeout: Timeout | float | None
    max_retries: int | None
    extra_headers: Mapping[str, str] | None
    extra_query: Mapping[str, QueryValue] | None
    extra_body: Mapping[str, object] | None


class AsyncRequester(Protocol):
    """Sends one operation for the async resources: returns its parsed success body, or with ``raw=True`` its
    ``RawResponse``. ``extra_query`` and ``extra_body`` are merged over the operation's own (wire names)."""

    @overload
    async def _request(
        self,
        operation: Operation,
        build: Callable[[], Request],
        parse: Callable[[Any], T],
        *,
        raw: Literal[False] = False,
        **options: Unpack[CallOptions],
    ) -> T: ...

    @overload
    async def _request(
        self,
        operation: Operation,
        build: Callable[[], Request],
        parse: Callable[[Any], T],
        *,
        raw: Literal[True],
        **options: Unpack[CallOptions],
    ) -> RawResponse[T]: ...


class Requester(Protocol):
    """Sends one operation for the sync resources, as ``AsyncRequester`` does for the async ones."""

    @overload
    def _request(
        self,
        operation: Operation,
        build: Callable[[], Request],
        parse: Callable[[Any], T],
        *,
        raw: Literal[False] = False,
        **options: Unpack[CallOptions],
    ) -> T: ...

    @overload
    def _request(
        self,
        operation: Operation,
        build: Callable[[], Request],
        parse: Callable[[Any], T],
        *,
        raw: Literal[True],
        **options: Unpack[CallOptions],
    ) -> RawResponse[T]: ...
