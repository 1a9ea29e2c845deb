"""The fake's own routes under `/_fake` (outside `/v1`): images, health, request log, faults, reset, counts, spec."""

from __future__ import annotations

import json
from importlib.resources import files
from typing import TYPE_CHECKING, Protocol
from urllib.parse import parse_qs

from ._keys import scope_for_authorization
from ._products import IMAGE_ROUTE
from ._spec import shipped_spec
from ._validate import parse_json_object
from ._wire import ApiError, FakeRequest, FakeResponse, error_response, invalid, issue, success

if TYPE_CHECKING:
    from ._faults import Faults
    from ._keys import Scope
    from ._log import RequestLog
    from ._records import ImageRecord
    from ._store import ObjectCounts


class FakeChing(Protocol):
    """What the admin routes reach of the local Ching (``FakeChing`` in ``_core``, which routes to them)."""

    requests: RequestLog
    faults: Faults

    def reset(self) -> None: ...

    def store_counts(self, scope: Scope) -> ObjectCounts: ...

    def image(self, name: str) -> ImageRecord | None: ...


ADMIN_PREFIX = "/_fake"


def is_admin_path(path: str) -> bool:
    """Tell whether an API path (prefix removed) belongs to the fake itself rather than to Ching."""
    return path == "/" or path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def handle_admin(fake: FakeChing, request: FakeRequest, path: str) -> FakeResponse:
    """Serve one admin request; never logged and never faulted."""
    try:
        return _route(fake, request, path)
    except ApiError as error:
        return error_response(error)


def _route(fake: FakeChing, request: FakeRequest, path: str) -> FakeResponse:
    """Dispatch an admin request."""
    method = request.method
    sub = path[len(ADMIN_PREFIX) :] if path.startswith(ADMIN_PREFIX) else path
    if sub.startswith(IMAGE_ROUTE[len(ADMIN_PREFIX) :] + "/") and method in ("GET", "HEAD"):
        return _image(fake, sub.rsplit("/", 1)[-1])
    if sub in ("/", "/health") and method == "GET":
        return success({"status": "ok"})
    if sub == "/requests" and method == "GET":
        return _requests(fake, parse_qs(request.query))
    if sub == "/requests" and method == "DELETE":
        fake.requests.clear()
        return success({"cleared": True})
    if sub == "/faults" and method == "GET":
        return success([_fault_data(fake, fault.id) for fault in fake.faults])
    if sub == "/faults" and method == "POST":
        return _add_fault(fake, request.body)
    if sub == "/faults" and method == "DELETE":
        fake.faults.clear()
        return success({"cleared": True})
    if sub.startswith("/faults/") and method == "DELETE":
        fault_id = sub.rsplit("/", 1)[-1]
        removed = fault_id.isdigit() and fake.faults.remove(int(fault_id))
        return success({"id": fault_id, "deleted": removed})
    if sub == "/reset" and method == "POST":
        fake.reset()
        return success({"reset": True})
    if sub in _SPEC_ROUTES and method == "GET":
        return _spec_file(sub)
    if sub == "/counts" and method == "GET":
        scope = scope_for_authorization(request.header("authorization"))
        if scope is None:
            raise ApiError(401, "NO_ACCESS", "No access")
        counts = fake.store_counts(scope)
        return success({**vars(counts), "customers_created": counts.customers_created})
    raise ApiError(404, "NOT_FOUND", f"No fake admin route for {method} {path}")


_SPEC_ROUTES = {
    "/openapi.json": "application/json",
    "/openapi.yaml": "application/yaml; charset=utf-8",
    "/reference": "text/html; charset=utf-8",
}
_BUNDLED = {"/openapi.yaml": "openapi.yaml", "/reference": "reference.html"}


def _spec_file(route: str) -> FakeResponse:
    """The spec this local Ching serves, as JSON; and, in the one-file build, the YAML and its reference page.

    ``scripts/local_ching_pyz.py`` puts the spec's YAML and reference page in ``testing/_bundle``; an installed
    package has the JSON form only (``_generated/openapi.json``).
    """
    headers = (("content-type", _SPEC_ROUTES[route]),)
    if route == "/openapi.json":
        return FakeResponse(200, headers, json.dumps(shipped_spec(), indent=2).encode())
    bundled = files("ching_client.testing") / "_bundle" / _BUNDLED[route]
    if not bundled.is_file():
        raise ApiError(
            404,
            "NOT_FOUND",
            f"This local Ching has the spec as JSON only (/_fake/openapi.json): {route} comes with the one-file "
            "build (make local-ching)",
        )
    return FakeResponse(200, headers, bundled.read_bytes())


def _image(fake: FakeChing, name: str) -> FakeResponse:
    """Serve an uploaded image's bytes with its media type."""
    image = fake.image(name)
    if image is None:
        raise ApiError(404, "NOT_FOUND", "Image not found")
    headers = (("content-type", image.content_type), ("cache-control", "public, max-age=31536000"))
    return FakeResponse(200, headers, image.data)


def _requests(fake: FakeChing, query: dict[str, list[str]]) -> FakeResponse:
    """List logged requests, optionally `?since=<seq>` and `?operation=<operationId>`."""
    entries = fake.requests.entries()
    since = query.get("since", [""])[0]
    if since:
        if not since.isdigit():
            raise invalid([issue(["since"], "Expected an integer")], "Invalid query")
        entries = [entry for entry in entries if entry.seq > int(since)]
    operation = query.get("operation", [""])[0]
    if operation:
        entries = [entry for entry in entries if entry.operation_id == operation]
    return success([entry.to_dict() for entry in entries])


def _fault_data(fake: FakeChing, fault_id: int) -> dict[str, object]:
    """A fault rule with its remaining uses."""
    for fault in fake.faults:
        if fault.id == fault_id:
            return {**fault.to_dict(), "remaining": fake.faults.remaining(fault_id)}
    return {"id": fault_id}


def _add_fault(fake: FakeChing, body: bytes) -> FakeResponse:
    """Add a fault rule from a JSON body."""
    data = parse_json_object(body)
    try:
        fault = fake.faults.add_from_dict(data)
    except (TypeError, ValueError) as exc:
        raise invalid([issue([], str(exc))], "Invalid fault") from exc
    return success({**fault.to_dict(), "remaining": fault.times}, status=201)
