"""The models, after openapi-python-client has parsed them: trimmed to what the SDK uses, and annotated.

- String maps (``Metadata``) become plain ``dict[str, str]``.
- Models refer to each other with eager imports, except where that would close an import cycle.
- Models and enums that no operation's body, envelope or parameters reach are dropped.
- Every model gets its JSON schema from the spec (for pydantic); every model a request can carry
  gets the table of its fields (``_arguments``), and those nested in a body a ``TypedDict``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from attrs import define
from openapi_python_client.parser import GeneratorData
from openapi_python_client.parser.properties.list_property import ListProperty
from openapi_python_client.parser.properties.literal_enum_property import LiteralEnumProperty
from openapi_python_client.parser.properties.model_property import ModelProperty
from openapi_python_client.parser.properties.protocol import PropertyProtocol
from openapi_python_client.parser.properties.union import UnionProperty

from generator.arguments import PARAM_SUFFIX, Argument, StringMapProperty, is_string_map
from generator.errors import GenerationFailed
from generator.operations import OperationView, body_arguments, dump, resolve

REF_PREFIX = "#/components/schemas/"


@define
class RequestModel:
    """A model a request can carry: its fields as arguments, and whether users pass it as a nested mapping."""

    arguments: list[Argument]
    nested: bool


def replace_string_maps(openapi: GeneratorData) -> None:
    """Turn string-map models (like ``Metadata``) into plain dicts wherever they are used."""
    maps = {m.class_info.name for m in openapi.models if is_string_map(m)}
    bodies = [
        b.prop
        for collection in openapi.endpoint_collections_by_tag.values()
        for endpoint in collection.endpoints
        for b in endpoint.bodies
        if isinstance(b.prop, ModelProperty)
    ]
    for model in [*openapi.models, *bodies]:
        for props in (model.required_properties, model.optional_properties):
            for i, prop in enumerate(props or []):
                if is_string_map(prop):
                    props[i] = StringMapProperty(  # type: ignore[index]
                        name=prop.name,
                        required=prop.required,
                        default=None,
                        python_name=prop.python_name,
                        description=prop.description,
                        example=None,
                    )
        for attribute in ("relative_imports", "lazy_imports"):
            imports = getattr(model, attribute)
            if imports:
                kept = {line for line in imports if not any(line.endswith(f" import {n}") for n in maps)}
                object.__setattr__(model, attribute, kept)
    openapi.models[:] = [m for m in openapi.models if m.class_info.name not in maps]


_MODEL_IMPORT = re.compile(r"^from \.\.models\.(\w+) import ")


def import_models_eagerly(openapi: GeneratorData) -> None:
    """Import the models a model refers to at the top of its module, unless that closes an import cycle.

    openapi-python-client imports them inside ``to_dict``/``from_dict`` so that models referring to
    each other can load. But that import statement then runs on every call (0.6 µs each), and an
    envelope's ``from_dict`` runs on every response. Only imports on a cycle need to stay lazy.
    """

    def referenced(model: ModelProperty) -> set[str]:
        lines = set(model.relative_imports or ()) | set(model.lazy_imports or ())
        return {match.group(1) for line in lines if (match := _MODEL_IMPORT.match(line))}

    graph: dict[str, set[str]] = {str(model.class_info.module_name): referenced(model) for model in openapi.models}

    def reaches(start: str, goal: str) -> bool:
        seen: set[str] = set()
        todo = [start]
        while todo:
            module = todo.pop()
            if module == goal:
                return True
            if module not in seen:
                seen.add(module)
                todo.extend(graph.get(module, ()))
        return False

    for model in openapi.models:
        name = str(model.class_info.module_name)
        eager = {
            line
            for line in model.lazy_imports or ()
            if (match := _MODEL_IMPORT.match(line)) and not reaches(match.group(1), name)
        }
        if eager:
            object.__setattr__(model, "lazy_imports", set(model.lazy_imports or ()) - eager)
            object.__setattr__(model, "relative_imports", set(model.relative_imports or ()) | eager)


def keep_used(openapi: GeneratorData, roots: list[PropertyProtocol]) -> None:
    """Drop the models and enums nothing in ``roots`` (bodies and success envelopes) reaches, such as error bodies."""
    # A model referred to from another model may be a copy parsed before its own properties were:
    # follow each class name to the model that is rendered.
    rendered = {str(m.class_info.name): m for m in openapi.models}
    found: set[str] = set()
    todo = list(roots)
    while todo:
        prop = todo.pop()
        name = getattr(getattr(prop, "class_info", None), "name", None)
        if name is not None:
            if str(name) in found:
                continue
            found.add(str(name))
            prop = rendered.get(str(name), prop)
        if isinstance(prop, ModelProperty):
            todo += [*(prop.required_properties or []), *(prop.optional_properties or [])]
            if prop.additional_properties is not None:
                todo.append(prop.additional_properties)
        elif isinstance(prop, ListProperty):
            todo.append(prop.inner_property)
        elif isinstance(prop, UnionProperty):
            todo += prop.inner_properties
    openapi.models[:] = [m for m in openapi.models if m.class_info.name in found]
    openapi.enums[:] = [e for e in openapi.enums if e.class_info.name in found]


def request_models(
    spec: dict[str, Any], openapi: GeneratorData, operations: list[OperationView]
) -> dict[str, RequestModel]:
    """Every model a request can carry, by class name: the bodies, and the objects nested in them."""
    rendered = {str(m.class_info.name): m for m in openapi.models}
    found: dict[str, RequestModel] = {}
    todo = [(model, index > 0) for op in operations for index, model in enumerate(op.nested)]
    while todo:
        model, nested = todo.pop(0)
        name = str(model.class_info.name)
        if name in found:
            found[name].nested |= nested
            continue
        if name.endswith(PARAM_SUFFIX):
            raise GenerationFailed(f"schema {name!r} ends with {PARAM_SUFFIX!r}, the suffix of the SDK's TypedDicts")
        if rendered[name].lazy_imports:
            raise GenerationFailed(f"{name}: request objects that contain each other are not supported")
        arguments, inner = body_arguments(spec, rendered[name])
        found[name] = RequestModel(arguments, nested)
        todo += [(each, True) for each in inner]
    return found


def json_schema(spec: dict[str, Any], model: ModelProperty, class_names: dict[str, str]) -> str:
    """The model's schema from the spec as compact JSON; ``$ref`` to another model names its class."""

    def walk(node: Any, inlined: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(REF_PREFIX):
                if ref in class_names:
                    return {**node, "$ref": REF_PREFIX + class_names[ref]}
                if ref in inlined:
                    raise GenerationFailed(f"{ref} contains itself and is not a model")
                target = walk(resolve(spec, {"$ref": ref}), (*inlined, ref))
                return {**target, **{k: walk(v, inlined) for k, v in node.items() if k != "$ref"}}
            return {key: walk(value, inlined) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item, inlined) for item in node]
        return node

    return json.dumps(walk(dump(model.data), ()), ensure_ascii=False, separators=(",", ":"))


def lenient_fields(spec: dict[str, Any], model: ModelProperty) -> dict[str, str]:
    """The model's required fields an answer may lack, by wire name, with what they read as (Python source).

    A field with a spec ``default`` reads as that default; a nullable one (``type: [..., "null"]``, an
    ``anyOf``/``oneOf`` branch of type null, or ``nullable: true``) as None. Other required fields stay
    strict. ``ching_client/_runtime/absent.py`` says why.
    """
    schema = dump(model.data)
    required = set(schema.get("required") or ())
    found: dict[str, str] = {}
    for name, node in (schema.get("properties") or {}).items():
        if name not in required:
            continue
        target = resolve(spec, node)
        if "default" in node or "default" in target:
            found[name] = repr(node.get("default", target.get("default")))
        elif _nullable(spec, target):
            found[name] = "None"
    return found


def _nullable(spec: dict[str, Any], schema: Any) -> bool:
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind == "null" or (isinstance(kind, list) and "null" in kind) or schema.get("nullable") is True:
        return True
    branches = [*(schema.get("anyOf") or ()), *(schema.get("oneOf") or ())]
    return any(_nullable(spec, resolve(spec, branch)) for branch in branches)


def component_classes(openapi: GeneratorData) -> dict[str, str]:
    """``#/components/schemas/<name>`` to the class generated for it."""
    found: dict[str, str] = {}
    for model in openapi.models:
        for root in model.roots:
            path = "#" + root.get_untrusted_value() if hasattr(root, "get_untrusted_value") else str(root)
            if path.startswith(REF_PREFIX):
                found[path] = str(model.class_info.name)
    return found


def enum_modules(openapi: GeneratorData) -> list[LiteralEnumProperty]:
    enums = [e for e in openapi.enums if isinstance(e, LiteralEnumProperty)]
    if len(enums) != len(openapi.enums):
        raise GenerationFailed("only string enums are supported (generator/config.yaml sets literal_enums)")
    return enums
