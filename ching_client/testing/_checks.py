"""JSON Schema checks compiled once from the spec, reporting problems as Ching's validation issues.

The local Ching checks every request body the spec describes and every body it answers with, on
thousands of test calls and in the benchmarks, so each schema is compiled once, when the spec is
loaded, into nested closures: a check is then a few function calls per field, with no schema
walking, ``$ref`` lookup or regex compilation per request. (jsonschema interprets the schema on
every call, several times slower for a list of customers, and its messages are not Ching's.)

Problems read like Ching's ``INVALID_FIELD`` issues (``Expected string, received number``,
``Required``). The keywords OpenAPI 3.1 documents use are checked; annotations are ignored; a
keyword this module does not know is reported once by ``Compiler.unsupported`` and not checked.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ching_client._exceptions import ChingError

from ._wire import Issue, issue


class SpecError(ChingError, ValueError):
    """The spec given to the local Ching cannot be served (an unresolved ``$ref``, a schema that is not one)."""


Path = tuple[Any, ...] | None
"""Where a value is, as a linked list ``(parent, key)``: built per field for free, spelt out on failure only."""
Check = Callable[[Any, Path, list[Issue]], bool]
"""A compiled schema: (value, where, issues) -> whether it conforms; problems are appended to issues."""

_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "summary",
        "examples",
        "example",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentEncoding",
        "contentMediaType",
        "$comment",
        "$schema",
        "$id",
        "discriminator",
        "xml",
        "externalDocs",
        "format",
        "nullable",
    }
)
_DATE_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)", re.IGNORECASE)


def spell(path: Path) -> list[str | int]:
    """The segments of a linked path, from the top of the body down."""
    segments: list[str | int] = []
    while path is not None:
        path, key = path
        segments.append(key)
    segments.reverse()
    return segments


def where(path: list[str | int]) -> str:
    """A path as one readable string: ``data[0].companyName`` (``body`` for the top)."""
    text = "".join(f"[{segment}]" if isinstance(segment, int) else f".{segment}" for segment in path)
    return text.lstrip(".") or "body"


def json_type(value: object) -> str:
    """Name a decoded JSON value's type the way Ching's messages do."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _is_integer(value: object) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and math.isfinite(value) and value.is_integer()
    )


_TYPE_TESTS: dict[str, Callable[[object], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": _is_integer,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def _fail(issues: list[Issue], path: Path, message: str) -> bool:
    issues.append(issue(spell(path), message))
    return False


def _all(checks: list[Check]) -> Check:
    """Every check runs (so all problems of a body are listed); the value conforms if each passes."""
    if len(checks) == 1:
        return checks[0]

    def check(value: Any, path: Path, issues: list[Issue]) -> bool:
        ok = True
        for one in checks:
            ok = one(value, path, issues) and ok
        return ok

    return check


def _anything(value: Any, path: Path, issues: list[Issue]) -> bool:
    return True


class Compiler:
    """Compiles schemas of one spec; ``$ref`` targets are compiled once and shared (recursion included)."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        self._spec = spec
        self._refs: dict[str, list[Check]] = {}
        self.unsupported: set[str] = set()
        """Keywords met that are not checked, as ``keyword (at #/pointer)``."""

    def resolve(self, ref: str) -> Any:
        """The schema a local ``$ref`` (``#/components/schemas/Customer``) points to."""
        if not ref.startswith("#/"):
            raise SpecError(f"only local references (#/...) are supported, not {ref!r}: inline the schema")
        node: Any = self._spec
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, Mapping) or part not in node:
                raise SpecError(f"unresolved reference {ref!r}: the spec has no {part!r} there")
            node = node[part]
        return node

    def compile(self, schema: Any, at: str = "#") -> Check:
        """Compile one schema (a mapping, or a boolean schema)."""
        if schema is True or schema == {}:
            return _anything
        if schema is False:
            return lambda value, path, issues: _fail(issues, path, "No value is allowed here")
        if not isinstance(schema, Mapping):
            raise SpecError(f"{at}: a schema must be an object or a boolean, not {json_type(schema)}")
        checks: list[Check] = []
        if "$ref" in schema:
            checks.append(self._ref(str(schema["$ref"])))
        if "type" in schema or schema.get("nullable") is True:
            checks.append(self._type(schema))
        checks += self._combinators(schema, at)
        checks += self._value_rules(schema)
        checks += self._object_rules(schema, at)
        checks += self._array_rules(schema, at)
        handled = {"$ref", "type", "allOf", "anyOf", "oneOf", "not", "enum", "const", *_HANDLED_RULES}
        for keyword in schema:
            if keyword not in handled and keyword not in _ANNOTATIONS and not str(keyword).startswith("x-"):
                self.unsupported.add(f"{keyword} (at {at})")
        return _all(checks) if checks else _anything

    def _ref(self, ref: str) -> Check:
        cell = self._refs.get(ref)
        if cell is None:
            cell = self._refs[ref] = []
            cell.append(self.compile(self.resolve(ref), ref))
        shared = cell

        def check(value: Any, path: Path, issues: list[Issue]) -> bool:
            return shared[0](value, path, issues)

        return check

    def _type(self, schema: Mapping[str, Any]) -> Check:
        declared = schema.get("type", [])
        names = [declared] if isinstance(declared, str) else list(declared)
        if schema.get("nullable") is True and "null" not in names:  # OpenAPI 3.0's spelling
            names.append("null")
        if not names:
            return _anything
        tests = [_TYPE_TESTS[name] for name in names]
        expected = " or ".join(names)

        def check(value: Any, path: Path, issues: list[Issue]) -> bool:
            for test in tests:
                if test(value):
                    return True
            return _fail(issues, path, f"Expected {expected}, received {json_type(value)}")

        return check

    def _combinators(self, schema: Mapping[str, Any], at: str) -> list[Check]:
        checks: list[Check] = []
        if "allOf" in schema:
            checks += [self.compile(part, f"{at}/allOf/{i}") for i, part in enumerate(schema["allOf"])]
        for keyword in ("anyOf", "oneOf"):
            if keyword in schema:
                branches = [self.compile(part, f"{at}/{keyword}/{i}") for i, part in enumerate(schema[keyword])]
                names = [_branch_name(part) for part in schema[keyword]]
                checks.append(_branches(branches, names, exactly_one=keyword == "oneOf"))
        if "not" in schema:
            negated = self.compile(schema["not"], f"{at}/not")
            checks.append(
                lambda value, path, issues: (
                    not negated(value, path, []) or _fail(issues, path, "Invalid input: matches a forbidden shape")
                )
            )
        return checks

    def _value_rules(self, schema: Mapping[str, Any]) -> list[Check]:
        checks: list[Check] = []
        if "enum" in schema:
            choices = list(schema["enum"])
            expected = " | ".join(repr(choice) for choice in choices)
            checks.append(
                lambda value, path, issues: (
                    value in choices
                    or _fail(issues, path, f"Invalid enum value. Expected {expected}, received {value!r}")
                )
            )
        if "const" in schema:
            constant = schema["const"]
            checks.append(
                lambda value, path, issues: (
                    value == constant or _fail(issues, path, f"Invalid literal value, expected {constant!r}")
                )
            )
        checks += _string_rules(schema)
        checks += _number_rules(schema)
        return checks

    def _object_rules(self, schema: Mapping[str, Any], at: str) -> list[Check]:
        properties = {
            name: self.compile(sub, f"{at}/properties/{name}") for name, sub in (schema.get("properties") or {}).items()
        }
        required = tuple(schema.get("required") or ())
        extra = schema.get("additionalProperties", True)
        others = None if extra is True else self.compile(extra, f"{at}/additionalProperties")
        if not properties and not required and others is None:
            return []
        rejects_others = extra is False

        def check(value: Any, path: Path, issues: list[Issue]) -> bool:
            if not isinstance(value, dict):
                return True  # `type` reports it
            ok = True
            for name in required:
                if name not in value:
                    ok = _fail(issues, (path, name), "Required")
            for name, item in value.items():
                sub = properties.get(name)
                if sub is not None:
                    ok = sub(item, (path, name), issues) and ok
                elif rejects_others:
                    ok = _fail(issues, (path, name), f"Unrecognized key: {name!r}")
                elif others is not None:
                    ok = others(item, (path, name), issues) and ok
            return ok

        return [check]

    def _array_rules(self, schema: Mapping[str, Any], at: str) -> list[Check]:
        items = self.compile(schema["items"], f"{at}/items") if "items" in schema else None
        low, high = schema.get("minItems"), schema.get("maxItems")
        if items is None and low is None and high is None:
            return []

        def check(value: Any, path: Path, issues: list[Issue]) -> bool:
            if not isinstance(value, list):
                return True
            ok = True
            if low is not None and len(value) < low:
                ok = _fail(issues, path, f"Array must contain at least {low} element(s)")
            if high is not None and len(value) > high:
                ok = _fail(issues, path, f"Array must contain at most {high} element(s)")
            if items is not None:
                for index, item in enumerate(value):
                    ok = items(item, (path, index), issues) and ok
            return ok

        return [check]


_HANDLED_RULES = frozenset(
    {
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minItems",
        "maxItems",
    }
)


def _branch_name(schema: Any) -> str:
    if isinstance(schema, Mapping) and "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if isinstance(schema, Mapping) and "type" in schema:
        return str(schema["type"])
    return "a shape"


def _branches(branches: list[Check], names: list[str], *, exactly_one: bool) -> Check:
    """anyOf / oneOf: on failure, report the problems of the branch that came closest."""

    def check(value: Any, path: Path, issues: list[Issue]) -> bool:
        attempts: list[list[Issue]] = []  # each branch's problems, to report the closest
        matched = 0
        for branch in branches:
            found: list[Issue] = []
            if branch(value, path, found):
                matched += 1
                if not exactly_one:
                    return True
            attempts.append(found)
        if matched == 1 or (matched and not exactly_one):
            return True
        if matched > 1:
            return _fail(issues, path, f"Invalid input: matches more than one of {', '.join(names)}")
        issues.append(issue(spell(path), f"Invalid input: matches none of {', '.join(names)}"))
        closest: list[Issue] = min(attempts, key=len) if attempts else []
        issues.extend(closest)
        return False

    return check


def _string_rules(schema: Mapping[str, Any]) -> list[Check]:
    checks: list[Check] = []
    low, high, pattern = schema.get("minLength"), schema.get("maxLength"), schema.get("pattern")
    if low is not None:
        checks.append(
            lambda value, path, issues: (
                not isinstance(value, str)
                or len(value) >= low
                or _fail(issues, path, f"String must contain at least {low} character(s)")
            )
        )
    if high is not None:
        checks.append(
            lambda value, path, issues: (
                not isinstance(value, str)
                or len(value) <= high
                or _fail(issues, path, f"String must contain at most {high} character(s)")
            )
        )
    if pattern is not None:
        compiled = re.compile(pattern)
        checks.append(
            lambda value, path, issues: (
                not isinstance(value, str)
                or compiled.search(value) is not None
                or _fail(issues, path, f"Invalid: must match {pattern}")
            )
        )
    format_check = _FORMATS.get(str(schema.get("format")))
    if format_check is not None:
        test, message = format_check
        checks.append(
            lambda value, path, issues: not isinstance(value, str) or test(value) or _fail(issues, path, message)
        )
    return checks


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.path)) and not any(c.isspace() for c in value)


_FORMATS: dict[str, tuple[Callable[[str], bool], str]] = {
    "date-time": (lambda value: _DATE_TIME.fullmatch(value) is not None, "Invalid datetime"),
    "uri": (_is_url, "Invalid url"),
}


def _is_multiple(value: float, step: float) -> bool:
    return (value / step).is_integer()


_BOUNDS: tuple[tuple[str, Callable[[float, float], bool], str], ...] = (
    ("minimum", operator.ge, "greater than or equal to"),
    ("maximum", operator.le, "less than or equal to"),
    ("exclusiveMinimum", operator.gt, "greater than"),
    ("exclusiveMaximum", operator.lt, "less than"),
    ("multipleOf", _is_multiple, "a multiple of"),
)


def _number_rules(schema: Mapping[str, Any]) -> list[Check]:
    bounds = [
        (holds, schema[keyword], f"{words} {schema[keyword]}")
        for keyword, holds, words in _BOUNDS
        if isinstance(schema.get(keyword), int | float) and not isinstance(schema.get(keyword), bool)
    ]
    if not bounds:
        return []

    def check(value: Any, path: Path, issues: list[Issue]) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return True
        ok = True
        for holds, bound, words in bounds:
            if not holds(value, bound):
                ok = _fail(issues, path, f"Number must be {words}")
        return ok

    return [check]
