"""The pure core of the fake: one request in, one outcome out; no sockets, no sleeping.

What the API is comes from the spec (``_spec.Api``): its routes, the checks of request bodies and
of every answer, the fields objects show. How it behaves comes from the rules by operationId
(``_rules``; the built-in ones in ``_customers`` and ``_products``), and by REST convention for an
operation with none (``_convention``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from ching_client import InvalidArgumentError

from . import _customers, _products  # noqa: F401 - registers the built-in rules
from . import _paging as paging
from ._admin import handle_admin, is_admin_path
from ._checks import run, where
from ._clock import Clock, SystemClock
from ._context import Context, H, Rule, Rules
from ._convention import rule_for
from ._convention import serve as serve_by_convention
from ._extras import PHONE_PURPOSE, require
from ._failures import malformed_response, status_response
from ._faults import Fault, FaultKind, Faults
from ._ids import IdGenerator, RandomIds, new_request_id
from ._keys import DEFAULT_TEST_KEY, Scope, scope_for_authorization, scope_for_key
from ._log import LoggedRequest, RequestLog, redact_headers
from ._memory import MemoryStore
from ._records import ImageRecord
from ._routes import split_prefix
from ._rules import RULES
from ._sdk import async_ching, sync_ching
from ._spec import Api, Match, Operation, shipped_api
from ._store import ObjectCounts, Store
from ._transport import InProcessTransport
from ._validate import FieldSpec, parse_json_object, validate_fields
from ._wire import ApiError, FakeRequest, FakeResponse, Issue, Outcome, error_response, invalid, success

if TYPE_CHECKING:
    import httpx

    from ching_client import AsyncChing, Ching


IN_PROCESS_BASE_URL = "https://ching.test/ching"
"""The base URL `client()` uses; any host works with the in-process transport."""
MAX_BODY_BYTES = 4 * 1024 * 1024
"""Larger request bodies get 413: the largest Ching takes, an image upload, is under 3 MB once base64-encoded."""
LOGGED_BODY_BYTES = 64 * 1024
"""A logged request keeps at most this much of its body (see `LoggedRequest.raw_body`)."""

_DROPS: dict[FaultKind, Literal["before", "after"]] = {FaultKind.DROP_BEFORE: "before", FaultKind.DROP_AFTER: "after"}


def _body_for_log(body: bytes) -> tuple[Any, str | None]:
    """Parse a body for the log: (JSON value, None), or (None, its text) when it is not JSON or too large.

    The log keeps thousands of requests: a body over `LOGGED_BODY_BYTES` is kept as the start of its text.
    """
    if not body:
        return None, None
    if len(body) > LOGGED_BODY_BYTES:
        text = body[:LOGGED_BODY_BYTES].decode("utf-8", errors="replace")
        return None, f"{text}… (the first {LOGGED_BODY_BYTES:,} of {len(body):,} bytes)"
    try:
        return json.loads(body), None
    except (ValueError, RecursionError):
        return None, body.decode("utf-8", errors="replace")


def _no_route(method: str, path: str, match: Match) -> ApiError:
    """405 when the spec has the path with other methods; else 404 saying the spec has no such operation."""
    if match.allowed:
        return ApiError(
            405,
            "METHOD_NOT_ALLOWED",
            f"Method {method} is not allowed on {path}: the spec has {', '.join(match.allowed)} there",
            headers=[("allow", ", ".join(match.allowed))],
        )
    return ApiError(
        404,
        "NOT_FOUND",
        f"No operation in the spec answers {method} {path}: check the method and path against the API reference",
    )


def _with_request_id(response: FakeResponse, request_id: str) -> FakeResponse:
    """``response`` with the ``X-Request-Id`` header every answer of the local Ching carries."""
    headers = (*response.headers, ("x-request-id", request_id))
    return FakeResponse(response.status, headers, response.body, response.payload, response.note)


class FakeChing:
    """A local Ching: customers and products per key and mode, with fault injection and a request log."""

    def __init__(
        self,
        store: Store | None = None,
        *,
        clock: Clock | None = None,
        ids: IdGenerator | None = None,
        seed: int | None = None,
        create_status: int = 200,
        live_keys_active: bool = True,
        log_limit: int = 10_000,
        spec: Mapping[str, Any] | None = None,
    ) -> None:
        """Build a fake; `seed` makes ids and probabilistic faults reproducible.

        ``spec`` is the OpenAPI document to serve (a dict); by default the spec the package was
        generated from (``ching_client.testing.shipped_spec()`` returns a copy to change).
        Raises ``MissingExtraError`` at once when phonenumbers (the ``testing`` extra) is missing,
        rather than answering the first create with a phone number with a 500.
        """
        require("phonenumbers", PHONE_PURPOSE)
        self.api: Api = shipped_api() if spec is None else Api(spec)
        self.rules: Rules = Rules(RULES)
        """This fake's business rules (``rule``), falling back on the process-wide ones."""
        self.store: Store = store if store is not None else MemoryStore()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.ids: IdGenerator = ids if ids is not None else RandomIds(seed)
        self.faults: Faults = Faults(seed if seed is not None else 0, self.api.operation_ids)
        self.requests: RequestLog = RequestLog(log_limit)
        self.create_status: int = create_status
        """Status of successful creates (200, or 201 to check that clients accept any 2xx)."""
        self.live_keys_active: bool = live_keys_active
        """When False, live keys get 403 LIVE_KEY_INACTIVE, like a project not yet activated."""
        self._lock = threading.RLock()

    def handle(self, request: FakeRequest) -> Outcome:
        """Process one request (applying it, or a fault) and say how the adapter must answer.

        Every answer carries a new ``X-Request-Id`` (``req_…``), as the spec declares; the request log and the
        fake's log lines record it, so a test (or a user reading the SDK's error) can find the request it names.
        """
        prefix, path = split_prefix(request.path)
        request_id = new_request_id()
        with self._lock:
            if is_admin_path(path):
                return Outcome(_with_request_id(handle_admin(self, request, path), request_id))
            match = self.api.resolve(request.method, path)
            route = match.route
            operation_id = route.operation_id if route else None
            drawn = self.faults.draw(operation_id, request.method, route.template if route else None, path)
            fault = drawn.fault
            response = self._respond(request, prefix, path, match, fault, request_id)
            drop = _DROPS.get(fault.kind) if fault else None
            sent = None if drop else response
            label = str(fault.kind) if fault else ("latency" if drawn.kinds else None)
            note = response.note if response else None
            self._log(request, operation_id, label, drawn.delay, sent, note, request_id)
        return Outcome(sent, delay=drawn.delay, drop=drop, fault=label)

    def _respond(
        self, request: FakeRequest, prefix: str, path: str, match: Match, fault: Fault | None, request_id: str
    ) -> FakeResponse | None:
        """Produce the response, as the fault (if any) dictates; None when nothing is applied or sent."""
        if fault is not None and fault.kind is FaultKind.STATUS:
            return _with_request_id(status_response(fault), request_id)
        if fault is not None and fault.kind is FaultKind.DROP_BEFORE:
            return None
        response = self._dispatch(request, prefix, path, match, request_id)
        if fault is not None and fault.kind is FaultKind.MALFORMED:
            return _with_request_id(malformed_response(), request_id)
        return _with_request_id(response, request_id)

    def rule(self, operation_id: str, *, fields: Sequence[FieldSpec] = ()) -> Callable[[H], H]:
        """Teach this fake a business rule for one operation of its spec (a decorator; see ``_rules``)."""
        if operation_id not in self.api.operations:
            known = ", ".join(sorted(self.api.operations))
            raise InvalidArgumentError(
                f"the spec has no operation {operation_id!r}; it has {known}", argument="operation_id"
            )
        return self.rules(operation_id, fields=fields)

    def _dispatch(self, request: FakeRequest, prefix: str, path: str, match: Match, request_id: str) -> FakeResponse:
        """Route, authenticate, validate and run an API request; check the answer against the spec."""
        route = match.route
        if route is None:
            return error_response(_no_route(request.method, path, match))
        try:
            if len(request.body) > MAX_BODY_BYTES:
                raise ApiError(
                    413,
                    "PAYLOAD_TOO_LARGE",
                    f"Request body is larger than {MAX_BODY_BYTES:,} bytes",
                    headers=[("connection", "close")],  # the rest of the body is not read
                )
            scope = scope_for_authorization(request.header("authorization"))
            if scope is None:
                raise ApiError(401, "NO_ACCESS", "No access")
            if scope.livemode and not self.live_keys_active:
                raise ApiError(403, "LIVE_KEY_INACTIVE", "Live mode is not active for this project")
            found = rule_for(self.api, self.rules, route)
            body = self._body(request.body, route, found)
            context = Context(
                scope=scope,
                store=self.store,
                clock=self.clock,
                ids=self.ids,
                base_url=request.origin + prefix,
                api=self.api,
                operation=route,
                rules=self.rules,
                create_status=self.create_status,
                request_id=request_id,
            )
            handler = found.handler if found is not None else serve_by_convention
            result = handler(context, match.params, body)
            if isinstance(result, FakeResponse):
                response = result
            else:  # a rule's data, in the success envelope with the status the spec documents
                response = success(result, status=self.api.success_status(route))
            response = paging.page(route, request.query, response)
        except ApiError as error:
            response = error_response(error)
        except Exception as exc:  # a bug in the fake or a rule: answer like Ching would, with a hint
            details = {"exception": repr(exc)}
            response = error_response(ApiError(500, "INTERNAL_ERROR", "Internal server error", details=details))
        return self._conform(route, response)

    def _body(self, raw: bytes, route: Operation, found: Rule | None) -> dict[str, Any]:
        """The request body, checked: by the rule's own field checks, then by the spec for every other field.

        Fields the spec does not list are dropped, so rules and stored objects only see documented ones.
        """
        if route.body_schema is None or (not raw.strip() and not route.body_required):
            return {}
        body = parse_json_object(raw)
        issues: list[Issue] = []
        fields = found.fields if found is not None else ()
        cleaned = validate_fields(body, fields, [], issues) if fields else {}
        handled = found.handled if found is not None else frozenset()
        check = self.api.body_check(route, handled)
        if check is not None:
            issues += run(check, body)
        if issues:
            raise invalid(issues)
        listed = self.api.body_fields(route)
        cleaned.update(
            (name, value) for name, value in body.items() if name not in handled and (listed is None or name in listed)
        )
        return cleaned

    def _conform(self, route: Operation, response: FakeResponse) -> FakeResponse:
        """The answer if the spec allows it; else a 500 naming the problem, so nothing outside the contract is sent."""
        payload = response.payload
        if payload is None:
            try:
                payload = json.loads(response.body)
            except ValueError:
                payload = response.body.decode("utf-8", errors="replace")
        issues = self.api.check_response(route, response.status, payload)
        if not issues:
            return response
        first = issues[0]
        at = first["path"] if isinstance(first["path"], list) else []
        message = (
            f"The local Ching's {response.status} answer to {route.operation_id} does not match the spec: "
            f"{where(at)}: {first['message']}"
        )
        details = {"status": response.status, "issues": issues[:20]}
        return error_response(ApiError(500, "INTERNAL_ERROR", message, details=details))

    def _log(
        self,
        request: FakeRequest,
        operation_id: str | None,
        fault: str | None,
        delay: float,
        response: FakeResponse | None,
        note: str | None = None,
        request_id: str | None = None,
    ) -> None:
        """Append a request to the log."""
        body, raw = _body_for_log(request.body)
        scope = scope_for_authorization(request.header("authorization"))
        self.requests.append(
            LoggedRequest(
                seq=self.requests.next_seq(),
                method=request.method,
                path=request.path,
                query=request.query,
                headers=redact_headers(request.headers),
                body=body,
                raw_body=raw,
                operation_id=operation_id,
                fault=fault,
                delay=delay,
                status=response.status if response else None,
                livemode=scope.livemode if scope else None,
                project=scope.project if scope else None,
                note=note,
                request_id=request_id,
            )
        )

    def counts(self, key: str = DEFAULT_TEST_KEY) -> ObjectCounts:
        """Count the objects stored for one key (project and mode)."""
        return self.store_counts(scope_for_key(key))

    def store_counts(self, scope: Scope) -> ObjectCounts:
        """Count the objects stored in one scope."""
        with self._lock:
            return self.store.counts(scope)

    def image(self, name: str) -> ImageRecord | None:
        """Return an uploaded image by file name."""
        with self._lock:
            return self.store.get_image(name)

    def reset(self) -> None:
        """Forget all data, fault rules and logged requests."""
        with self._lock:
            self.store.clear()
            self.faults.clear()
            self.requests.clear()

    def close(self) -> None:
        """Close the store (a SQLite file stays on disk)."""
        with self._lock:
            self.store.close()

    def __enter__(self) -> FakeChing:
        """Use as a context manager that closes the store."""
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close the store."""
        self.close()

    def transport(self, engine: str = "httpx") -> FakeTransport:
        """An httpx transport (sync and async) that sends requests to this fake, with no sockets; for an httpx2
        client, ``engine="httpx2"``."""
        return FakeTransport(self, engine)

    def async_ching(
        self, api_key: str = DEFAULT_TEST_KEY, *, timeout: float | None = None, max_retries: int | None = None
    ) -> AsyncChing:
        """An ``AsyncChing`` wired to this fake with no sockets: ``ching = FakeChing().async_ching()``."""
        return async_ching(self.transport, IN_PROCESS_BASE_URL, api_key, timeout, max_retries)

    def ching(
        self, api_key: str = DEFAULT_TEST_KEY, *, timeout: float | None = None, max_retries: int | None = None
    ) -> Ching:
        """A sync ``Ching`` wired to this fake with no sockets: ``ching = FakeChing().ching()``."""
        return sync_ching(self.transport, IN_PROCESS_BASE_URL, api_key, timeout, max_retries)

    def client(self, key: str | None = DEFAULT_TEST_KEY, **kwargs: Any) -> httpx.Client:
        """An httpx.Client wired to this fake, authenticated with `key` (None: no Authorization header)."""
        import httpx

        kwargs.setdefault("base_url", IN_PROCESS_BASE_URL)
        headers = dict(kwargs.pop("headers", {}) or {})
        if key is not None:
            headers.setdefault("Authorization", f"Bearer {key}")
        return httpx.Client(transport=self.transport(), headers=headers, **kwargs)

    def async_client(self, key: str | None = DEFAULT_TEST_KEY, **kwargs: Any) -> httpx.AsyncClient:
        """An httpx.AsyncClient wired to this fake, authenticated with `key`."""
        import httpx

        kwargs.setdefault("base_url", IN_PROCESS_BASE_URL)
        headers = dict(kwargs.pop("headers", {}) or {})
        if key is not None:
            headers.setdefault("Authorization", f"Bearer {key}")
        return httpx.AsyncClient(transport=self.transport(), headers=headers, **kwargs)


class FakeTransport(InProcessTransport):
    """Mount on an httpx or httpx2 ``Client`` or ``AsyncClient`` (`transport=`) to talk to a FakeChing; thread-safe.

    ``engine`` names the family of the client it is mounted on (``"httpx"`` or ``"httpx2"``): its responses and
    errors are that family's, as the client expects.
    """

    def __init__(self, fake: FakeChing | None = None, engine: str = "httpx") -> None:
        """Serve `fake`, or a fresh in-memory FakeChing."""
        self.fake: FakeChing = fake if fake is not None else FakeChing()
        super().__init__(self.fake.handle, engine)
