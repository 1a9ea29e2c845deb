"""Every model of the API, as generated from the spec: results, request objects and their ``TypedDict``s.

``from ching_client.models import Address, AddressParam``. A model added to the spec appears here
after ``make generate``, with no hand edits; the most used ones are also importable from
``ching_client`` itself. ``XParam`` is the ``TypedDict`` of a nested request object ``X`` given as a
mapping (Python names), which lets a type checker catch a misspelt key.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._generated.models import *  # noqa: F403 (every generated model, as the type checker sees them)


def __getattr__(name: str) -> Any:
    """Each model is imported on first use, as ``ching_client._generated.models`` does."""
    from ._generated import models

    return getattr(models, name)


def __dir__() -> list[str]:
    from ._generated import models

    return sorted(models.__all__)
