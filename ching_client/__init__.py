"""Python SDK for the Ching payments API: ``AsyncChing`` and its sync twin ``Ching``.

from ching_client import AsyncChing

async with AsyncChing() as ching:          # key from CHING_API_KEY
    customer = await ching.customers.create(name="Tal Levi", email="tal@example.com")
"""

from ._async_client import AsyncChing
from ._exceptions import (
    APIConnectionError,
    APIResponseError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ChingError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    InvalidArgumentError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
    WriteOutcomeUnknownError,
)
from ._generated.models.customer import Customer
from ._generated.models.deleted_customer import DeletedCustomer
from ._generated.models.product import Product
from ._generated.models.product_feature import ProductFeature
from ._generated.models.product_feature_input import ProductFeatureInput
from ._generated.results import CustomersUpsertResult
from ._generated.types import UNSET, Unset
from ._sync_client import Ching
from ._version import __version__

__all__ = [
    "UNSET",
    "APIConnectionError",
    "APIResponseError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncChing",
    "AuthenticationError",
    "BadRequestError",
    "Ching",
    "ChingError",
    "ConfigurationError",
    "ConflictError",
    "Customer",
    "CustomersUpsertResult",
    "DeletedCustomer",
    "InternalServerError",
    "InvalidArgumentError",
    "NotFoundError",
    "PermissionDeniedError",
    "Product",
    "ProductFeature",
    "ProductFeatureInput",
    "RateLimitError",
    "UnprocessableEntityError",
    "Unset",
    "WriteOutcomeUnknownError",
    "__version__",
]
