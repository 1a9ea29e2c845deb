"""Reading the spec for ``make generate``: the YAML, every ``$ref``, and the OpenAPI 3.1 structure, checked first.

A mistake in the spec would otherwise surface deep in the generator as a traceback or an object's
repr. Here each one becomes one line naming the file, the line, the JSON pointer of the construct
at fault and what is wrong (``openapi/ching.yaml:57: #/paths/~1v1~1customers/post/...: $ref
'#/components/schemas/Nope' points to nothing``), and all of them are reported at once. The
structural check is openapi-spec-validator's (the one ``make spec-check`` runs), through the same
JSON Schemas, so it is fast and works offline; the npm tools stay in ``make spec-check``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, SchemaError
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator.schemas import schema_v31

from generator.errors import GenerationFailed

#: Keys whose values are data (examples, defaults), never spec objects: not searched for $refs or schemas.
DATA_KEYS = frozenset({"example", "default", "const", "enum"})
#: Keys under which the names are a schema's own (a property may be called `default`).
NAMING_KEYS = frozenset({"properties", "patternProperties", "$defs", "dependentSchemas"})


def pointer(parts: tuple[str | int, ...]) -> str:
    """A JSON pointer (``#/paths/~1v1~1customers/get``) for a path of keys and indexes."""
    return "#" + "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _is_data(parts: tuple[str | int, ...], key: str, value: Any) -> bool:
    """Whether ``value``, under ``key`` at ``parts``, is data (an example, a default) rather than spec."""
    if parts and parts[-1] in NAMING_KEYS:
        return False
    if key in DATA_KEYS or (key == "examples" and isinstance(value, list)):
        return True
    return key in ("value", "externalValue") and len(parts) >= 2 and parts[-2] == "examples"


def _walk(node: Any, parts: tuple[str | int, ...] = ()) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every value of the spec with its path, data values (examples, defaults) left unvisited."""
    yield parts, node
    if isinstance(node, dict):
        for key, value in node.items():
            if not _is_data(parts, str(key), value):
                yield from _walk(value, (*parts, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*parts, index))


class Located:
    """The spec's text as YAML nodes: the line where each JSON pointer's value starts."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.root = yaml.compose(text)

    def line(self, parts: tuple[str | int, ...]) -> int:
        """The 1-based line of the value at ``parts`` (of its key, in a mapping), or of its deepest ancestor."""
        node, mark = self.root, self.root.start_mark if self.root is not None else None
        for part in parts:
            if isinstance(node, yaml.MappingNode):
                found = next(((k, v) for k, v in node.value if str(k.value) == str(part)), None)
                if found is None:
                    break
                mark, node = found[0].start_mark, found[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                mark = node.start_mark
            else:
                break
        return mark.line + 1 if mark is not None else 1

    def problem(self, parts: tuple[str | int, ...], message: str, key: str | None = None) -> str:
        """One line: ``file:line: #/pointer: message``; the line is ``key``'s, if given (``$ref``)."""
        return f"{self.path}:{self.line((*parts, key) if key else parts)}: {pointer(parts)}: {message}"


def _target(spec: Any, ref: str) -> bool:
    """Whether a local ``$ref`` (``#/components/schemas/X``) points to something."""
    node = spec
    for raw in ref[2:].split("/") if ref != "#" else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return False
    return True


def reference_problems(spec: dict[str, Any], located: Located) -> list[str]:
    """Every ``$ref`` that points to nothing, or outside the document (the generator reads one file)."""
    problems = []
    for parts, node in _walk(spec):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if ref is None:
            continue
        if not isinstance(ref, str):
            problems.append(located.problem(parts, f"$ref must be a string, not {ref!r}", "$ref"))
        elif not ref.startswith("#"):
            problems.append(
                located.problem(
                    parts, f"$ref {ref!r} points outside this file: move what it names into this file", "$ref"
                )
            )
        elif not _target(spec, ref):
            problems.append(
                located.problem(parts, f"$ref {ref!r} points to nothing: no such place in this file", "$ref")
            )
    return problems


def _schemas(spec: dict[str, Any]) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every top-level schema object: the components' and each ``schema`` of a parameter, header or media type."""
    for name, schema in ((spec.get("components") or {}).get("schemas") or {}).items():
        yield ("components", "schemas", name), schema
    for parts, node in _walk(spec.get("paths") or {}, ("paths",)):
        if isinstance(node, dict) and "schema" in node and "properties" not in node:
            yield (*parts, "schema"), node["schema"]
    for kind in ("parameters", "headers", "responses", "requestBodies"):
        for parts, node in _walk((spec.get("components") or {}).get(kind) or {}, ("components", kind)):
            if isinstance(node, dict) and "schema" in node and "properties" not in node:
                yield (*parts, "schema"), node["schema"]


def structure_problems(spec: dict[str, Any], located: Located) -> list[str]:
    """What makes the document invalid OpenAPI 3.1: the document's structure, then each schema object's."""
    problems = [
        located.problem(tuple(error.absolute_path), error.message.splitlines()[0])
        for error in Draft202012Validator(schema_v31).iter_errors(spec)
    ]
    for parts, schema in _schemas(spec):
        try:
            OAS31Validator.check_schema(schema)
        except SchemaError as error:
            problems.append(located.problem((*parts, *error.absolute_path), error.message.splitlines()[0]))
    return problems


def load_spec(path: Path) -> dict[str, Any]:
    """The spec at ``path``; one line per problem if it is not YAML, has a dangling $ref or is not OpenAPI 3.1."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GenerationFailed(f"{path}: cannot read the spec: {exc}") from None
    try:
        spec = yaml.safe_load(text)
        located = Located(path, text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise GenerationFailed(f"{where}: not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise GenerationFailed(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(spec, dict):
        raise GenerationFailed(f"{path}:1: the spec must be a YAML mapping (openapi, info, paths, ...)")
    problems = reference_problems(spec, located)
    # The structure is checked once the references resolve: a dangling one would only repeat itself there.
    problems = problems or structure_problems(spec, located) or pagination_problems(spec, located)
    if problems:
        raise GenerationFailed("\n".join(problems))
    return spec


_OPERATION_LINE = re.compile(r"^(GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS|TRACE) (/[^\s:]*)")


def with_places(message: str, path: Path) -> str:
    """``message`` with each line about an operation (``GET /v1/customers ...``) led by ``file:line:``."""
    try:
        located = Located(path, path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return message
    lines = []
    for line in message.splitlines():
        found = _OPERATION_LINE.match(line)
        if found:
            line = f"{path}:{located.line(('paths', found.group(2), found.group(1).lower()))}: {line}"
        lines.append(line)
    return "\n".join(lines)


PAGINATION = "x-ching-pagination"
#: The keys of ``x-ching-pagination``, and whether each is required.
PAGINATION_KEYS = {
    "limit": True,
    "startingAfter": True,
    "endingBefore": False,
    "hasMore": True,
    "items": True,
    "cursorFrom": True,
    "cursorField": False,
}
CURSOR_SOURCES = ("last_item_id", "response_field")


def _local(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with local ``$ref``s followed (they all resolve: ``reference_problems`` ran first)."""
    for _ in range(20):
        ref = node.get("$ref") if isinstance(node, dict) else None
        if not isinstance(ref, str) or not ref.startswith("#"):
            return node
        node = spec
        for raw in ref[2:].split("/") if ref != "#" else []:
            node = node[raw.replace("~1", "/").replace("~0", "~")]
    return node


def _types(schema: Any) -> set[str]:
    declared = schema.get("type") if isinstance(schema, dict) else None
    return {declared} if isinstance(declared, str) else set(declared or ())


def _query_parameters(spec: dict[str, Any], path: str, method: str) -> dict[str, Any]:
    """The operation's query parameters by name, the path item's included, with their schemas resolved."""
    item = spec["paths"][path]
    found: dict[str, Any] = {}
    for raw in [*(item.get("parameters") or []), *(item[method].get("parameters") or [])]:
        param = _local(spec, raw)
        if isinstance(param, dict) and param.get("in") == "query":
            found[str(param.get("name"))] = _local(spec, param.get("schema") or {})
    return found


def _success_envelope(spec: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    """The first 2xx JSON body schema of an operation, resolved; {} when there is none."""
    for code, response in (operation.get("responses") or {}).items():
        if str(code).startswith("2"):
            content = (_local(spec, response).get("content") or {}).get("application/json") or {}
            schema = _local(spec, content.get("schema") or {})
            return schema if isinstance(schema, dict) else {}
    return {}


def _pagination_problems_of(spec: dict[str, Any], path: str, method: str, facts: Any) -> Iterator[tuple[str, str]]:
    """(key, what is wrong) for one operation's ``x-ching-pagination``; key "" is the extension itself."""
    if not isinstance(facts, dict):
        yield "", "must be a mapping (limit, startingAfter, hasMore, items, cursorFrom, ...)"
        return
    if method != "get":
        yield "", "only a GET list operation can page (each page is a safe, repeatable GET)"
    for key in facts:
        if key not in PAGINATION_KEYS:
            yield str(key), f"unknown key; the keys are {', '.join(PAGINATION_KEYS)}"
    for key, required in PAGINATION_KEYS.items():
        if required and key not in facts:
            yield "", f"`{key}` is required"
        elif key in facts and not isinstance(facts[key], str):
            yield key, "must be a string (a parameter or field name, or a cursor source)"
    if not all(isinstance(facts.get(key, ""), str) for key in PAGINATION_KEYS):
        return
    query = _query_parameters(spec, path, method)
    wanted = {"limit": "integer", "startingAfter": "string", "endingBefore": "string"}
    for key, kind in wanted.items():
        name = facts.get(key)
        if name is None:
            continue
        if name not in query:
            yield key, f"names {name!r}, which is not a query parameter of this operation: declare it"
        elif kind not in _types(query[name]):
            yield key, f"the query parameter {name!r} must be of type {kind}"
    source = facts.get("cursorFrom")
    if source is not None and source not in CURSOR_SOURCES:
        yield "cursorFrom", f"must be one of {', '.join(CURSOR_SOURCES)}, not {source!r}"
    if source == "response_field" and "cursorField" not in facts:
        yield "", "`cursorField` is required with cursorFrom: response_field (the answer's field holding the token)"
    if source == "last_item_id" and "cursorField" in facts:
        yield "cursorField", "is only read with cursorFrom: response_field"
    if source == "response_field" and "endingBefore" in facts:
        yield "endingBefore", "a token cursor only goes forward: leave endingBefore out with response_field"
    fields = _success_envelope(spec, spec["paths"][path][method]).get("properties") or {}
    for key, kind in (("hasMore", "boolean"), ("items", "array"), ("cursorField", "string")):
        name = facts.get(key)
        if name is None or (key == "cursorField" and source != "response_field"):
            continue
        field = _local(spec, fields.get(name))
        if field is None:
            yield key, f"names {name!r}, which is not a field of the success response: add it to its schema"
        elif kind not in _types(field):
            yield key, f"the response field {name!r} must be of type {kind}"
        elif key == "items" and source == "last_item_id":
            item = _local(spec, field.get("items") or {})
            if "string" not in _types(_local(spec, (item.get("properties") or {}).get("id") or {})):
                yield (
                    key,
                    f"cursorFrom: last_item_id reads each item's `id`, and the items of {name!r} have no string id",
                )


def pagination_problems(spec: dict[str, Any], located: Located) -> list[str]:
    """Every mistake in an ``x-ching-pagination`` (a name that is not a parameter or field, a wrong type...)."""
    problems = []
    for path, item in (spec.get("paths") or {}).items():
        for method, operation in (item or {}).items() if isinstance(item, dict) else ():
            if not isinstance(operation, dict) or PAGINATION not in operation:
                continue
            parts: tuple[str | int, ...] = ("paths", path, method, PAGINATION)
            for key, message in _pagination_problems_of(spec, path, method, operation[PAGINATION]):
                problems.append(located.problem((*parts, key) if key else parts, f"{PAGINATION}: {message}"))
    return problems
