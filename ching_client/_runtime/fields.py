"""Request models built from Python arguments: top-level keyword arguments and nested mappings alike.

Every request model (a body, and any object nested in one) carries ``_arguments``, a table of its
fields generated from the spec: Python name, wire name, ``Kind`` and whether it is required. One
table drives both the resource methods' keyword arguments and the mappings users pass for nested
objects, so ``address={"postal_code": ...}`` is checked like ``tax_id=...`` and reaches the wire as
``postalCode``. Keys are Python names only: a mapping and its ``TypedDict`` agree, and a misspelt or
wire-named key is refused by name instead of being sent as an extra field Ching would ignore.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from .argument import InvalidArgument
from .model import Field as Field
from .model import Model
from .unset import UNSET

M = TypeVar("M", bound=Model)


def fields(*declared: Field) -> dict[str, Field]:
    """A model's ``_arguments`` table, keyed by Python name."""
    return {field.name: field for field in declared}


def _table(model: type[Model]) -> Mapping[str, Field]:
    table = getattr(model, "_arguments", None)
    if table is None:  # the generator gives a table to every model a request can carry
        raise TypeError(f"{model.__name__} is not a request model")
    return table  # type: ignore[no-any-return]


def _build(model: type[M], values: Mapping[str, object], prefix: str, where: str) -> M:
    converted: dict[str, Any] = {}
    for field in _table(model).values():
        value = values.get(field.name, UNSET)
        if value is UNSET:
            if field.required:
                raise InvalidArgument(where or field.name, f"missing required key {field.name!r}")
            # Passed on rather than left to the model's default: a field not given is not sent,
            # even where the spec documents a default (the server applies it).
            converted[field.name] = UNSET
        elif field.required:
            converted[field.name] = field.kind.convert(prefix + field.name, value)
        else:  # None, where Ching cannot take null, is refused saying how to leave the field out
            converted[field.name] = field.kind.convert_optional(prefix + field.name, value)
    return model(**converted)


def from_arguments(model: type[M], **arguments: object) -> M:
    """The request model for a method's keyword arguments (``UNSET`` ones are left out)."""
    return _build(model, arguments, "", "")


def from_mapping(model: type[M], value: Mapping[Any, Any], name: str) -> M:
    """The request model for a mapping of Python names, refusing any key the model does not have."""
    table = _table(model)
    for key in value:
        if key not in table:
            raise InvalidArgument(name, _unknown_key(key, table))
    return _build(model, value, f"{name}.", name)


def from_wire(model: type[M], wire: Mapping[str, Any], name: str) -> M:
    """The request model for another model's wire form (its ``to_dict()``)."""
    by_wire = {field.wire: field.name for field in _table(model).values()}
    for key in wire:
        if key not in by_wire:
            raise InvalidArgument(name, f"has field {key!r}, which {model.__name__} does not have")
    return _build(model, {by_wire[key]: item for key, item in wire.items()}, f"{name}.", name)


def _unknown_key(key: object, table: Mapping[str, Field]) -> str:
    for field in table.values():
        if key == field.wire:
            return f"unknown key {key!r}: keys are Python names, as for keyword arguments; use {field.name!r}"
    return f"unknown key {key!r}; the keys are {', '.join(repr(name) for name in table)}"
