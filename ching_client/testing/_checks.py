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

from ching_client import ChingError

from ._wire import Issue, issue


class SpecError(ChingError, ValueError):
    """The spec given to the local Ching cannot be served (an unresolved ``$ref``, a schema that is not one)."""


Path = tuple[Any, ...] | None
"""Where a value is, as a linked list ``(parent, key)``: built per field for free, spelt out on failure only."""
Problem = tuple[Path, str]
"""A problem as found: where (a linked path, spelt out only if it is reported) and what."""
Check = Callable[[Any, Path, list[Problem]], bool]
"""A compiled schema: (value, where, problems) -> whether it conforms; problems are appended to the list."""

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


_PLAIN_TYPES: dict[str, type] = {"null": type(None), "boolean": bool, "string": str, "array": list, "object": dict}
"""JSON types an ``isinstance`` test settles alone (numbers need care: a bool is an int in Python)."""
_TYPE_TESTS: dict[str, Callable[[object], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "integer": _is_integer,
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def run(check: Check, value: Any) -> list[Issue]:
    """Check a whole value: its problems as Ching's issues (``{"path": [...], "message": ...}``); none: it conforms."""
    problems: list[Problem] = []
    check(value, None, problems)
    return [issue(spell(path), message) for path, message in problems]


def _fail(issues: list[Problem], path: Path, message: str) -> bool:
    issues.append((path, message))
    return False


def _all(checks: list[Check]) -> Check:
    """Every check runs (so all problems of a body are listed); the value conforms if each passes."""
    if len(checks) == 1:
        return checks[0]

    def check(value: Any, path: Path, issues: list[Problem]) -> bool:
        ok = True
        for one in checks:
            ok = one(value, path, issues) and ok
        return ok

    return check


def _anything(value: Any, path: Path, issues: list[Problem]) -> bool:
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
        # `type: object` with properties: the object check refuses a non-object itself (one call less).
        only_object = schema.get("type") in ("object", ["object"]) and schema.get("nullable") is not True
        object_rules = self._object_rules(schema, at, strict=only_object)
        if ("type" in schema or schema.get("nullable") is True) and not (only_object and object_rules):
            checks.append(self._type(schema))
        checks += self._combinators(schema, at)
        checks += self._value_rules(schema)
        checks += object_rules
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
        if cell:  # compiled: call it directly, one call less per value
            return cell[0]
        shared = cell  # still being compiled (a schema that contains itself): look it up when called

        def check(value: Any, path: Path, issues: list[Problem]) -> bool:
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
        plain = tuple(_PLAIN_TYPES[name] for name in names if name in _PLAIN_TYPES)
        expected = " or ".join(names)

        def check(value: Any, path: Path, issues: list[Problem]) -> bool:
            if isinstance(value, plain):  # one C call for every type but numbers
                return True
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

    def _object_rules(self, schema: Mapping[str, Any], at: str, *, strict: bool) -> list[Check]:
        """Required and listed properties; ``strict``: a value that is not an object fails here (else `type` says)."""
        listed = schema.get("properties") or {}
        properties = {name: self.compile(sub, f"{at}/properties/{name}") for name, sub in listed.items()}
        required = tuple(schema.get("required") or ())
        extra = schema.get("additionalProperties", True)
        others = None if extra is True else self.compile(extra, f"{at}/additionalProperties")
        if not properties and not required and others is None:
            return []
        shape = _ObjectShape(listed, properties, required, others, rejects_others=extra is False)

        def check(value: Any, path: Path, issues: list[Problem]) -> bool:
            if not isinstance(value, dict):
                return not strict or _fail(issues, path, f"Expected object, received {json_type(value)}")
            if shape.plain_fields_conform(value):
                return shape.check_the_rest(value, path, issues)
            return shape.check_each(value, path, issues)

        return [check]

    def _array_rules(self, schema: Mapping[str, Any], at: str) -> list[Check]:
        items = self.compile(schema["items"], f"{at}/items") if "items" in schema else None
        low, high = schema.get("minItems"), schema.get("maxItems")
        if items is None and low is None and high is None:
            return []

        def check(value: Any, path: Path, issues: list[Problem]) -> bool:
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


class _ObjectShape:
    """The compiled rules of one object schema, with a fast path for the common case of a conforming object.

    Most response fields are required and only typed (``type: [string, 'null']``): their values are
    fetched and tested in C (``itemgetter``, ``map(isinstance, ...)``), and only the other fields
    run their compiled checks. When a typed field fails, ``check_each`` walks every field to word
    all the problems.
    """

    def __init__(
        self,
        listed: Mapping[str, Any],
        properties: dict[str, Check],
        required: tuple[str, ...],
        others: Check | None,
        *,
        rejects_others: bool,
    ) -> None:
        self.properties, self.required, self.others, self.rejects_others = properties, required, others, rejects_others
        self.must_have = frozenset(required)
        self.plain = {name: t for name, sub in listed.items() if (t := _plain_type(sub))}
        typed = [(name, t) for name, t in self.plain.items() if name in self.must_have]
        self.typed_names = tuple(name for name, _ in typed)
        self.typed_types = tuple(t for _, t in typed)
        self.fetch = operator.itemgetter(*self.typed_names) if len(typed) > 1 else None
        self.optional_plain = [(name, t) for name, t in self.plain.items() if name not in self.must_have]
        self.rest = [(name, sub) for name, sub in properties.items() if name not in self.typed_names]
        self.known = frozenset(properties)

    def plain_fields_conform(self, value: dict[str, Any]) -> bool:
        """Whether every required field is there and every typed one has its type."""
        if not self.must_have <= value.keys():
            return False
        if self.fetch is not None:
            if not all(map(isinstance, self.fetch(value), self.typed_types)):
                return False
        elif self.typed_names and not isinstance(value[self.typed_names[0]], self.typed_types[0]):
            return False
        return not self.optional_plain or all(isinstance(value[n], t) for n, t in self.optional_plain if n in value)

    def check_the_rest(self, value: dict[str, Any], path: Path, issues: list[Problem]) -> bool:
        """Check the fields the fast path left: those with more than a type, and any the schema does not list."""
        ok = True
        for name, sub in self.rest:
            if name in value:
                ok = sub(value[name], (path, name), issues) and ok
        if self.rejects_others or self.others is not None:
            for name in value.keys() - self.known:
                ok = self._other(name, value[name], path, issues) and ok
        return ok

    def check_each(self, value: dict[str, Any], path: Path, issues: list[Problem]) -> bool:
        """Check every field in turn, reporting every problem."""
        ok = True
        for name in self.required:
            if name not in value:
                ok = _fail(issues, (path, name), "Required")
        for name, item in value.items():
            sub = self.properties.get(name)
            if sub is not None:
                ok = sub(item, (path, name), issues) and ok
            else:
                ok = self._other(name, item, path, issues) and ok
        return ok

    def _other(self, name: str, item: Any, path: Path, issues: list[Problem]) -> bool:
        if self.rejects_others:
            return _fail(issues, (path, name), f"Unrecognized key: {name!r}")
        return self.others is None or self.others(item, (path, name), issues)


def _plain_type(schema: Any) -> tuple[type, ...] | None:
    """The Python types of a schema that only says ``type`` (with annotations), when ``isinstance`` settles it."""
    if not isinstance(schema, Mapping) or any(k != "type" and k not in _ANNOTATIONS for k in schema):
        return None
    if schema.get("nullable") is True or "format" in schema:
        return None
    declared = schema.get("type")
    names = [declared] if isinstance(declared, str) else list(declared or [])
    if not names or any(name not in _PLAIN_TYPES for name in names):
        return None
    return tuple(_PLAIN_TYPES[name] for name in names)


def _branch_name(schema: Any) -> str:
    if isinstance(schema, Mapping) and "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if isinstance(schema, Mapping) and "type" in schema:
        return str(schema["type"])
    return "a shape"


def _branches(branches: list[Check], names: list[str], *, exactly_one: bool) -> Check:
    """anyOf / oneOf: on failure, report the problems of the branch that came closest."""

    def check(value: Any, path: Path, issues: list[Problem]) -> bool:
        attempts: list[list[Problem]] = []  # each branch's problems, to report the closest
        matched = 0
        for branch in branches:
            found: list[Problem] = []
            if branch(value, path, found):
                matched += 1
                if not exactly_one:
                    return True
            attempts.append(found)
        if matched == 1 or (matched and not exactly_one):
            return True
        if matched > 1:
            return _fail(issues, path, f"Invalid input: matches more than one of {', '.join(names)}")
        issues.append((path, f"Invalid input: matches none of {', '.join(names)}"))
        closest: list[Problem] = min(attempts, key=len) if attempts else []
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

    def check(value: Any, path: Path, issues: list[Problem]) -> bool:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return True
        ok = True
        for holds, bound, words in bounds:
            if not holds(value, bound):
                ok = _fail(issues, path, f"Number must be {words}")
        return ok

    return [check]
