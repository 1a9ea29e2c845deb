"""What each argument of a generated method is: its Python type, its runtime ``Kind``, and what it imports.

Body fields (and fields of objects nested in a body) come from openapi-python-client's parsed
properties, so their types name the generated models. Path, query and header parameters are read
from the spec itself: openapi-python-client drops their ``style`` and ``explode`` and refuses arrays
in headers, and they hold only plain values, so their enums are written inline as ``Literal[...]``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from attrs import define, field
from openapi_python_client.parser.properties.any import AnyProperty
from openapi_python_client.parser.properties.boolean import BooleanProperty
from openapi_python_client.parser.properties.date import DateProperty
from openapi_python_client.parser.properties.datetime import DateTimeProperty
from openapi_python_client.parser.properties.float import FloatProperty
from openapi_python_client.parser.properties.int import IntProperty
from openapi_python_client.parser.properties.list_property import ListProperty
from openapi_python_client.parser.properties.literal_enum_property import LiteralEnumProperty
from openapi_python_client.parser.properties.model_property import ModelProperty
from openapi_python_client.parser.properties.none import NoneProperty
from openapi_python_client.parser.properties.protocol import PropertyProtocol
from openapi_python_client.parser.properties.string import StringProperty
from openapi_python_client.parser.properties.union import UnionProperty

from generator.errors import GenerationFailed

#: An import a generated module needs: (module under the generated package, name),
#: such as ("models.customer", "Customer").
Import = tuple[str, str]
PARAM_SUFFIX = "Param"


@define
class StringMapProperty(AnyProperty):
    """An object whose only content is string values under string keys (``Metadata``): a plain ``dict[str, str]``."""

    _type_string: ClassVar[str] = "dict[str, str]"
    _json_type_string: ClassVar[str] = "dict[str, str]"
    template: ClassVar[str] = "string_map_property.py.jinja"


@define
class Argument:
    """One keyword (or, for path parameters, positional) argument of a generated method."""

    name: str
    wire: str
    required: bool
    annotation: str
    kind: str
    description: str = ""
    imports: frozenset[Import] = frozenset()
    location: str = "body"  # body, path, query or header
    style: str = ""
    explode: bool = False
    reserved: tuple[str, ...] = ()
    integer: bool = False

    @property
    def parameter(self) -> str:
        """The argument as it appears in a signature."""
        if self.required:
            return f"{self.name}: {self.annotation}"
        return f"{self.name}: {self.annotation} | Unset = UNSET"


@define
class Translation:
    """A property's Python type, its ``Kind`` as source code, and the nested request models it names."""

    annotation: str
    kind: str
    imports: set[Import] = field(factory=set)
    nested: list[ModelProperty] = field(factory=list)


def text(value: object) -> str:
    """Generated code (``PythonCode``) or spec text (``UntrustedString``) as a plain string; templates escape text."""
    if value is None:
        return ""
    if hasattr(value, "as_unembedded_code"):
        return str(value.as_unembedded_code())
    if hasattr(value, "get_untrusted_value"):
        return str(value.get_untrusted_value())
    return str(value)


def is_string_map(prop: PropertyProtocol) -> bool:
    return isinstance(prop, StringMapProperty) or (
        isinstance(prop, ModelProperty)
        and not prop.required_properties
        and not prop.optional_properties
        and isinstance(prop.additional_properties, StringProperty)
    )


def nullable(prop: PropertyProtocol) -> bool:
    return isinstance(prop, UnionProperty) and any(isinstance(p, NoneProperty) for p in prop.inner_properties)


def non_null(prop: PropertyProtocol) -> list[PropertyProtocol]:
    if isinstance(prop, UnionProperty):
        return [p for p in prop.inner_properties if not isinstance(p, NoneProperty)]
    return [prop]


def _kind(name: str, *args: str, is_nullable: bool = False, **options: Any) -> str:
    given = list(args) + [f"{key}={value!r}" for key, value in options.items() if value is not None]
    if is_nullable:
        given.append("nullable=True")
    return f"{name}({', '.join(given)})"


def string_kind(schema: dict[str, Any], is_nullable: bool) -> tuple[str, str]:
    """The annotation and kind of a string with the spec's limits (bytes, for a base64 string)."""
    if schema.get("contentEncoding") == "base64":
        return "bytes", _kind("Base64", is_nullable=is_nullable, max_bytes=schema.get("x-ching-max-decoded-bytes"))
    limits = {
        "pattern": schema.get("pattern"),
        "min_length": schema.get("minLength"),
        "max_length": schema.get("maxLength"),
    }
    return "str", _kind("String", is_nullable=is_nullable, **limits)


def enum_values_name(prop: LiteralEnumProperty) -> str:
    return f"{prop.get_class_name_snake_case().upper()}_VALUES"


def model_import(prop: ModelProperty | LiteralEnumProperty, name: str | None = None) -> Import:
    return (f"models.{prop.class_info.module_name}", name or prop.class_info.name)


def translate(prop: PropertyProtocol, schema: dict[str, Any]) -> Translation:
    """A body field: ``schema`` is its schema in the spec (for ``minLength``, ``pattern``, ``contentEncoding``)."""
    inner = non_null(prop)
    is_nullable = nullable(prop)
    if len(inner) != 1:  # a union of several types: typed, but not checked by the SDK
        parts = [translate(p, {}) for p in inner]
        found = Translation(" | ".join(p.annotation for p in parts), _kind("Anything", is_nullable=is_nullable))
        for part in parts:
            found.imports |= part.imports
            found.nested += part.nested
    else:
        found = _translate_one(inner[0], schema, is_nullable)
    if is_nullable:
        found.annotation += " | None"
    return found


def _translate_one(prop: PropertyProtocol, schema: dict[str, Any], is_nullable: bool) -> Translation:
    if is_string_map(prop):
        return Translation("Mapping[str, str]", _kind("StringMap", is_nullable=is_nullable))
    if isinstance(prop, StringProperty):
        return Translation(*string_kind(schema, is_nullable))
    if isinstance(prop, LiteralEnumProperty):
        values = enum_values_name(prop)
        imports = {model_import(prop), model_import(prop, values)}
        return Translation(prop.class_info.name, _kind("Enum", values, is_nullable=is_nullable), imports)
    if isinstance(prop, ListProperty):
        item = translate(prop.inner_property, schema.get("items") or {})
        return Translation(
            f"Sequence[{item.annotation}]",
            _kind("ListOf", item.kind, is_nullable=is_nullable),
            item.imports,
            item.nested,
        )
    if isinstance(prop, ModelProperty):
        name = prop.class_info.name
        imports = {model_import(prop), model_import(prop, name + PARAM_SUFFIX)}
        return Translation(
            f"{name} | {name}{PARAM_SUFFIX}", _kind("ModelOf", name, is_nullable=is_nullable), imports, [prop]
        )
    simple: list[tuple[type[Any], str, str]] = [
        (BooleanProperty, "bool", "Boolean"),
        (IntProperty, "int", "Integer"),
        (FloatProperty, "float", "Number"),
        (DateTimeProperty, "datetime.datetime", "DateTime"),
        (DateProperty, "datetime.date", "Date"),
    ]
    for cls, annotation, kind in simple:
        if isinstance(prop, cls):
            return Translation(annotation, _kind(kind, is_nullable=is_nullable))
    return Translation("Any", _kind("Anything", is_nullable=is_nullable))


def translate_parameter(schema: dict[str, Any], where: str) -> Translation:
    """A path, query or header parameter's schema (already resolved): plain values, lists of them, string maps."""
    types = schema.get("type")
    type_list = types if isinstance(types, list) else [types]
    is_nullable = "null" in type_list
    plain = [t for t in type_list if t != "null"]
    if "enum" in schema:
        values = sorted(v for v in schema["enum"] if v is not None)
        if not all(isinstance(v, str) for v in values):
            raise GenerationFailed(f"{where}: only string enums are supported in parameters")
        annotation = f"Literal[{', '.join(repr(v) for v in values)}]"
        found = Translation(annotation, _kind("Enum", repr(tuple(values)), is_nullable=is_nullable))
    elif plain == ["string"]:
        found = Translation(*string_kind(schema, is_nullable))
    elif plain in (["integer"], ["number"], ["boolean"]):
        annotation, kind = {
            "integer": ("int", "Integer"),
            "number": ("float", "Number"),
            "boolean": ("bool", "Boolean"),
        }[plain[0]]
        found = Translation(annotation, _kind(kind, is_nullable=is_nullable))
    elif plain == ["array"]:
        item = translate_parameter(schema.get("items") or {}, where)
        if item.kind.startswith(("ListOf", "StringMap")):
            raise GenerationFailed(f"{where}: an array parameter must hold plain values (strings, numbers, booleans)")
        found = Translation(f"Sequence[{item.annotation}]", _kind("ListOf", item.kind, is_nullable=is_nullable))
    elif plain == ["object"] and (schema.get("additionalProperties") or {}).get("type") == "string":
        found = Translation("Mapping[str, str]", _kind("StringMap", is_nullable=is_nullable))
    else:
        raise GenerationFailed(
            f"{where}: the SDK can send parameters that are strings, integers, numbers, booleans, enums, arrays of "
            "those, or objects of string values; describe this one as one of those"
        )
    if is_nullable:
        found.annotation += " | None"
    return found
