"""Python SDK for the Ching payments API: ``AsyncChing`` and its sync twin ``Ching``.

from ching_client import AsyncChing

async with AsyncChing() as ching:          # key from CHING_API_KEY
    customer = await ching.customers.create(name="Tal Levi", email="tal@example.com")
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._exceptions import (  # stdlib only, so cheap to import with the package
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ChingError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    WriteAppliedError,
    WriteOutcomeUnknownError,
)
from ._version import __version__

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ imports each name on first use
    from ._bulk.batch import RowFailure, UpsertProgress, UpsertReport
    from ._client._async.client import AsyncChing
    from ._client._sync.client import Ching
    from ._core.events import AttemptEvent
    from ._core.retry_policy import Backoff
    from ._generated.models.customer import Customer
    from ._generated.models.deleted_customer import DeletedCustomer
    from ._generated.models.product import Product
    from ._generated.models.product_feature import ProductFeature
    from ._generated.models.product_feature_input import ProductFeatureInput
    from ._generated.results import CustomersUpsertResult
    from ._runtime._async.pages import AsyncPager
    from ._runtime._sync.pages import Pager
    from ._runtime.pagination import CappedList, Page
    from ._runtime.raw import RawResponse
    from ._runtime.timeout import Timeout
    from ._runtime.unset import UNSET, Unset

# Where the other public names live. `import ching_client` loads only the error classes: an application that only
# uses Ching never imports the async client and anyio, and `python -c "import ching_client"` costs
# about what starting Python does. (Keep in step with the TYPE_CHECKING imports above.)
_LAZY = {
    "AsyncChing": "._client._async.client",
    "AttemptEvent": "._core.events",
    "Backoff": "._core.retry_policy",
    "Ching": "._client._sync.client",
    "Customer": "._generated.models.customer",
    "CustomersUpsertResult": "._generated.results",
    "DeletedCustomer": "._generated.models.deleted_customer",
    "Product": "._generated.models.product",
    "ProductFeature": "._generated.models.product_feature",
    "ProductFeatureInput": "._generated.models.product_feature_input",
    "RawResponse": "._runtime.raw",
    "AsyncPager": "._runtime._async.pages",
    "Pager": "._runtime._sync.pages",
    "CappedList": "._runtime.pagination",
    "Page": "._runtime.pagination",
    "RowFailure": "._bulk.batch",
    "Timeout": "._runtime.timeout",
    "UpsertProgress": "._bulk.batch",
    "UpsertReport": "._bulk.batch",
    "UNSET": "._runtime.unset",
    "Unset": "._runtime.unset",
}

__all__ = [
    "UNSET",
    "APIConnectionError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncChing",
    "AsyncPager",
    "AttemptEvent",
    "AuthenticationError",
    "Backoff",
    "BadRequestError",
    "CappedList",
    "Ching",
    "ChingError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "Customer",
    "CustomersUpsertResult",
    "DeletedCustomer",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "Page",
    "Pager",
    "PermissionDeniedError",
    "Product",
    "ProductFeature",
    "ProductFeatureInput",
    "RateLimitError",
    "RawResponse",
    "RowFailure",
    "Timeout",
    "UnprocessableEntityError",
    "Unset",
    "UpsertProgress",
    "UpsertReport",
    "WriteAppliedError",
    "WriteOutcomeUnknownError",
    "__version__",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first access, then keep it as a plain module attribute."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value  # later accesses skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
