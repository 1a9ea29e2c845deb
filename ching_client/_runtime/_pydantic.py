"""pydantic (v2) support for generated models; imported only by the hooks on ``Model``, when pydantic asks."""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol, Self

from pydantic_core import core_schema as cs


class Model(Protocol):
    """What pydantic support needs of a generated model (``Model`` in ``model.py``, which imports this module)."""

    _json_schema: ClassVar[str]

    def to_dict(self) -> dict[str, Any]: ...

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self: ...


_REF_PREFIX = "#/components/schemas/"
_built: dict[type[Model], cs.CoreSchema] = {}


def core_schema(model: type[Model]) -> cs.CoreSchema:
    """Validate an instance as itself and a mapping (Ching's wire form) with ``from_dict``; dump with ``to_dict``.

    The ``ref`` makes pydantic (and FastAPI's ``/openapi.json``) list the model once, under its
    class name, and refer to it wherever it is used.
    """
    found = _built.get(model)
    if found is None:

        def validate(value: Any) -> Model:
            if isinstance(value, model):
                return value
            if not isinstance(value, Mapping):
                raise ValueError(
                    f"expected a {model.__name__} or a mapping in Ching's wire form, got {type(value).__name__}"
                )
            try:
                return model.from_dict(value)
            except KeyError as exc:
                raise ValueError(f"{model.__name__} is missing the field {exc.args[0]!r}") from None
            except (TypeError, AttributeError) as exc:
                raise ValueError(f"not a valid {model.__name__}: {exc}") from None

        found = cs.no_info_plain_validator_function(
            validate,
            ref=f"{model.__module__}.{model.__qualname__}",
            serialization=cs.plain_serializer_function_ser_schema(_dump),
        )
        _built[model] = found
    return found


def _dump(value: Model) -> dict[str, Any]:
    return value.to_dict()


def json_schema(model: type[Model]) -> dict[str, Any]:
    """The model's schema from the spec, with the models it refers to written out in place."""
    inlined: dict[str, Any] = _inline(json.loads(model._json_schema), model, (model,))
    return inlined


def _inline(node: Any, model: type[Model], seen: tuple[type[Model], ...]) -> Any:
    if isinstance(node, Mapping):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            target = _model_named(model, ref.removeprefix(_REF_PREFIX))
            if target in seen:  # a model that contains itself: stop rather than recurse forever
                return {"type": "object"}
            return _inline(json.loads(target._json_schema), target, (*seen, target))
        return {key: _inline(value, model, seen) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, model, seen) for item in node]
    return node


def _model_named(model: type[Model], name: str) -> type[Model]:
    """Another model of the same generated package, by class name."""
    package = importlib.import_module(model.__module__.rpartition(".")[0])
    found: type[Model] = getattr(package, name)
    return found
