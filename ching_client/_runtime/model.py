"""``Model``: what every generated model shares: ``to_json()``, and validation and serialization by pydantic.

pydantic is not a dependency: its hooks here run only when pydantic asks for them (a FastAPI
return annotation, ``response_model=``, ``pydantic.TypeAdapter(Customer)``), and only then is
``_pydantic`` imported. pydantic validates a model instance as itself and a mapping in Ching's wire
form through ``from_dict``, serializes through ``to_dict``, and takes the JSON schema from the spec.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar, Self

from attrs import frozen

from .argument import Kind


@frozen
class Field:
    """One field of a request model, as the generator read it from the spec."""

    name: str
    wire: str
    kind: Kind
    required: bool = False


class Model:
    """The base of every generated model (attrs classes with Ching's wire names mapped to Python names)."""

    __slots__ = ()
    #: The model's JSON schema from the spec, as JSON text (read only when pydantic asks for it);
    #: a ``$ref`` names another model of the package by its class name.
    _json_schema: ClassVar[str] = "{}"
    #: For models a request can carry: their fields, to check keyword arguments and nested mappings.
    _arguments: ClassVar[Mapping[str, Field] | None] = None

    def to_dict(self) -> dict[str, Any]:
        """The model in Ching's wire form (``taxId``, ISO 8601 dates), fields Ching added later included."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        """The model from Ching's wire form."""
        raise NotImplementedError

    def to_json(self, *, indent: int | None = None) -> str:
        """``to_dict()`` as a JSON string (``json.dumps`` cannot serialize the model itself)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> Any:
        from ._pydantic import core_schema

        return core_schema(cls)

    @classmethod
    def __get_pydantic_json_schema__(cls, schema: Any, handler: Any) -> Any:
        from ._pydantic import json_schema

        return json_schema(cls)
