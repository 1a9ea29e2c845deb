"""The route table: method + path template -> operationId, body schema and handler."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from . import _customers as customers
from . import _products as products
from . import _schemas as schemas
from ._context import Handler
from ._validate import Schema

API_PREFIX = "/ching"
"""The path the real server's base URL ends in; requests may also omit it."""


@dataclass(frozen=True)
class Route:
    """One API operation."""

    method: str
    template: str
    operation_id: str
    handler: Handler
    schema: Schema | None = None
    pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        """Compile the template: `{name}` matches one path segment."""
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))


ROUTES: tuple[Route, ...] = (
    Route("POST", "/v1/customers", "customers_create", customers.create, schemas.CUSTOMER_CREATE),
    Route("GET", "/v1/customers", "customers_list", customers.list_),
    Route("POST", "/v1/customers/upsert", "customers_upsert", customers.upsert, schemas.CUSTOMER_UPSERT),
    Route("GET", "/v1/customers/{id}", "customers_retrieve", customers.retrieve),
    Route("POST", "/v1/customers/{id}", "customers_update", customers.update, schemas.CUSTOMER_UPDATE),
    Route("DELETE", "/v1/customers/{id}", "customers_delete", customers.delete),
    Route("POST", "/v1/products", "products_create", products.create, schemas.PRODUCT_CREATE),
    Route("GET", "/v1/products", "products_list", products.list_),
    Route(
        "POST",
        "/v1/products/upload_image",
        "products_upload_image",
        products.upload_image,
        schemas.PRODUCT_UPLOAD_IMAGE,
    ),
    Route("GET", "/v1/products/{id}", "products_retrieve", products.retrieve),
    Route("POST", "/v1/products/{id}", "products_update", products.update, schemas.PRODUCT_UPDATE),
)

OPERATION_IDS = frozenset(route.operation_id for route in ROUTES)


def split_prefix(path: str) -> tuple[str, str]:
    """Split a raw path into (prefix used, API path): `/ching/v1/x/` -> (`/ching`, `/v1/x`)."""
    prefix = ""
    if path == API_PREFIX or path.startswith(API_PREFIX + "/"):
        prefix, path = API_PREFIX, path[len(API_PREFIX) :]
    path = path.rstrip("/") or "/"
    return prefix, path


@dataclass(frozen=True)
class Match:
    """The result of routing: a route and its parameters, or the methods the path allows."""

    route: Route | None
    params: dict[str, str]
    allowed: tuple[str, ...] = ()


def resolve(method: str, path: str) -> Match:
    """Find the route for an API path (prefix already removed).

    A concrete path beats a template, as in OpenAPI: `/v1/customers/upsert` is never the
    customer with id "upsert", so GET on it is 405 (Allow: POST), not a 404 lookup.
    """
    allowed: list[str] = []
    literal = [r for r in ROUTES if "{" not in r.template and r.template == path]
    for route in literal or ROUTES:
        found = route.pattern.match(path)
        if found is None:
            continue
        if route.method == method:
            return Match(route, {name: unquote(value) for name, value in found.groupdict().items()})
        if route.method not in allowed:
            allowed.append(route.method)
    return Match(None, {}, tuple(allowed))
