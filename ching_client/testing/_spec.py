"""The API the local Ching serves, read from the spec when it starts: routes, body checks, response shapes.

The spec ships in the package as ``ching_client/_generated/openapi.json`` (``make generate`` writes
it), so an installed ``ching-client[testing]`` serves the API it was generated from, with no
repository and no PyYAML. ``Api`` compiles it once (the shipped spec once per process): every
operation becomes a route with its request-body check and its response checks (``_checks``), and
the response schemas give the fields a stored object must show (``shape``).
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any
from urllib.parse import unquote

from ._checks import Check, Compiler, Problem, SpecError, run
from ._wire import Issue

SHIPPED_SPEC = files("ching_client") / "_generated" / "openapi.json"
"""Where ``make generate`` puts the spec inside the package (read as a resource: the package may be in a zip)."""
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_PARAM = re.compile(r"\{[^/{}]+\}")


def shipped_spec() -> dict[str, Any]:
    """A fresh copy of the spec the package was generated from (change it freely, e.g. to add an operation)."""
    spec: dict[str, Any] = json.loads(SHIPPED_SPEC.read_text(encoding="utf-8"))
    return spec


def normalise(template: str) -> str:
    """A path template with its parameter names erased: ``/v1/customers/{customerId}`` -> ``/v1/customers/{}``."""
    return _PARAM.sub("{}", template)


@dataclass(frozen=True)
class Shape:
    """What a resource's response schema asks of an object: every property it knows, and the required ones.

    ``defaults`` holds, for each required property, the value shown while it was never set
    (null when the schema allows it, as the spec asks of every response field).
    """

    known: frozenset[str] = frozenset()
    defaults: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, compiled."""

    operation_id: str
    method: str
    template: str
    params: tuple[str, ...]
    pattern: re.Pattern[str] = field(repr=False)
    body_schema: Mapping[str, Any] | None = field(repr=False)
    """The request body's schema (``$ref`` followed), or None when the operation takes no body."""
    body_required: bool = field(repr=False)
    spec: Mapping[str, Any] = field(repr=False)
    """The operation object as the spec writes it."""

    @property
    def key(self) -> str:
        """``METHOD /template``, as fault rules and logs name it."""
        return f"{self.method} {self.template}"


@dataclass(frozen=True)
class Match:
    """The result of routing: an operation and its path parameters, or the methods the path allows."""

    route: Operation | None
    params: dict[str, str]
    allowed: tuple[str, ...] = ()


def _specificity(template: str) -> tuple[int, tuple[bool, ...]]:
    """Sort key: fewer parameters first, then literal segments before parameters, left to right (as OpenAPI)."""
    segments = template.strip("/").split("/")
    flags = tuple(segment.startswith("{") for segment in segments)
    return sum(flags), flags


class Api:
    """A spec, compiled: routing, request and response checks, and resource shapes."""

    def __init__(self, spec: Mapping[str, Any]) -> None:
        """Compile every operation of ``spec`` (an OpenAPI 3.1 document as a dict); ValueError if it is unusable."""
        self.spec = spec
        self._compiler = Compiler(spec)
        self.operations: dict[str, Operation] = {}
        for operation in self._read_operations():
            if operation.operation_id in self.operations:
                raise SpecError(f"operationId {operation.operation_id!r} is used twice in the spec: rename one")
            self.operations[operation.operation_id] = operation
        self._by_template: dict[str, list[Operation]] = {}
        for operation in sorted(self.operations.values(), key=lambda op: _specificity(op.template)):
            self._by_template.setdefault(operation.template, []).append(operation)
        self._checks: dict[tuple[str, frozenset[str]], Check | None] = {}
        self._response_checks: dict[tuple[str, str], Check | None] = {}
        self._shapes: dict[str, Shape] = {}
        self._compile_all()

    def _compile_all(self) -> None:
        """Compile every body and response check now, so a schema problem stops the fake as it starts."""
        for operation in self.operations.values():
            self.body_check(operation)
            for key in operation.spec.get("responses") or {}:
                status = str(key).lower().replace("xx", "00").replace("default", "500")
                if status.isdigit():
                    self._response_check(operation, int(status))

    @property
    def unsupported(self) -> set[str]:
        """Schema keywords met so far that the checks do not enforce."""
        return self._compiler.unsupported

    def deref(self, node: Any) -> Any:
        """Follow ``$ref`` until a node that is not a reference."""
        for _ in range(64):
            if not isinstance(node, Mapping) or "$ref" not in node:
                return node
            node = self._compiler.resolve(str(node["$ref"]))
        raise SpecError("a $ref chain of more than 64 links: the spec's references loop")

    def _read_operations(self) -> Iterator[Operation]:
        for template, item in (self.spec.get("paths") or {}).items():
            item = self.deref(item)
            names = [name[1:-1] for name in _PARAM.findall(template)]
            regex = "".join(
                "([^/]+)" if _PARAM.fullmatch(part) else re.escape(part)
                for part in re.split(r"(\{[^/{}]+\})", template)
            )
            pattern = re.compile(f"^{regex}$")
            for method, operation in item.items():  # in the spec's order, which a 405's Allow header keeps
                if method not in METHODS or not isinstance(operation, Mapping):
                    continue
                if "operationId" not in operation:
                    raise SpecError(f"{method.upper()} {template} has no operationId: give it one")
                body = self.deref(operation.get("requestBody")) or {}
                schema = self.deref(((body.get("content") or {}).get("application/json") or {}).get("schema"))
                yield Operation(
                    operation_id=str(operation["operationId"]),
                    method=method.upper(),
                    template=template,
                    params=tuple(names),
                    pattern=pattern,
                    body_schema=schema,
                    body_required=bool(body.get("required")),
                    spec=operation,
                )

    @property
    def operation_ids(self) -> frozenset[str]:
        """Every operationId of the spec."""
        return frozenset(self.operations)

    def resolve(self, method: str, path: str) -> Match:
        """Find the operation for an API path (prefix already removed).

        A concrete path beats a template, as in OpenAPI: ``/v1/customers/upsert`` is never the
        customer with id "upsert", so GET on it is 405 (Allow: POST), not a 404 lookup.
        """
        for operations in self._by_template.values():
            found = operations[0].pattern.match(path)
            if found is None:
                continue
            for operation in operations:
                if operation.method == method:
                    params = {
                        name: unquote(value) for name, value in zip(operation.params, found.groups(), strict=True)
                    }
                    return Match(operation, params)
            return Match(None, {}, tuple(operation.method for operation in operations))
        return Match(None, {})

    def find(self, template: str, methods: tuple[str, ...]) -> list[Operation]:
        """The operations on a template (parameter names ignored) whose method is one of ``methods``."""
        wanted = normalise(template)
        return [
            operation
            for template_, operations in self._by_template.items()
            if normalise(template_) == wanted
            for operation in operations
            if operation.method in methods
        ]

    # -- request bodies ------------------------------------------------------------------------

    def body_check(self, operation: Operation, handled: frozenset[str] = frozenset()) -> Check | None:
        """The compiled check of an operation's body, leaving out the fields in ``handled`` (checked by hand)."""
        key = (operation.operation_id, handled)
        if key not in self._checks:
            schema = operation.body_schema
            if schema is not None and handled:
                schema = {
                    **schema,
                    "properties": {k: v for k, v in (schema.get("properties") or {}).items() if k not in handled},
                    "required": [name for name in schema.get("required") or () if name not in handled],
                }
            at = f"#/paths/{operation.template}/{operation.method.lower()}/requestBody"
            self._checks[key] = None if schema is None else self._compiler.compile(schema, at)
        return self._checks[key]

    def body_fields(self, operation: Operation) -> frozenset[str] | None:
        """The properties an operation's body schema lists; None when it takes any (no schema, or no properties)."""
        schema = operation.body_schema
        if schema is None or not schema.get("properties") or schema.get("additionalProperties") not in (None, False):
            return None
        return frozenset(schema["properties"])

    # -- responses -----------------------------------------------------------------------------

    def response(self, operation: Operation, status: int) -> Mapping[str, Any] | None:
        """The response object the spec gives for ``status`` (exact, ``2XX``, then ``default``), or None."""
        responses = operation.spec.get("responses") or {}
        for key in (str(status), f"{status // 100}XX", f"{status // 100}xx", "default"):
            if key in responses:
                found: Mapping[str, Any] = self.deref(responses[key])
                return found
        return None

    def response_schema(self, operation: Operation, status: int) -> Any:
        """The JSON schema of the body answered with ``status``; Ching's error envelope for an undocumented error."""
        response = self.response(operation, status)
        if response is None:
            schemas = (self.spec.get("components") or {}).get("schemas") or {}
            return (
                {"$ref": "#/components/schemas/ErrorEnvelope"} if status >= 400 and "ErrorEnvelope" in schemas else None
            )
        return ((response.get("content") or {}).get("application/json") or {}).get("schema")

    def _response_check(self, operation: Operation, status: int) -> Check | None:
        """The compiled check of a body answered with ``status`` (None: the spec gives no schema)."""
        key = (operation.operation_id, str(status))
        if key not in self._response_checks:
            schema = self.response_schema(operation, status)
            documented = self.response(operation, status) is not None or status >= 400
            if not documented:
                self._response_checks[key] = _undocumented(status)
            else:
                at = f"#/paths/{operation.template}/{operation.method.lower()}/responses/{status}"
                self._response_checks[key] = None if schema is None else self._compiler.compile(schema, at)
        return self._response_checks[key]

    def check_response(self, operation: Operation, status: int, payload: object) -> list[Issue]:
        """The ways a JSON body answered with ``status`` departs from the spec (empty: it conforms)."""
        check = self._response_check(operation, status)
        return [] if check is None else run(check, payload)

    def success_status(self, operation: Operation) -> int:
        """The first 2xx status the spec documents for an operation (200 if none)."""
        statuses = sorted(str(key) for key in operation.spec.get("responses") or {} if str(key).startswith("2"))
        return int(statuses[0]) if statuses and statuses[0].isdigit() else 200

    def data_schema(self, operation: Operation) -> tuple[Mapping[str, Any], bool]:
        """The schema of ``data`` in the success envelope, and whether ``data`` is a list of such objects."""
        envelope = self.deref(self.response_schema(operation, self.success_status(operation))) or {}
        data = self.deref((envelope.get("properties") or {}).get("data")) or {}
        if "array" in _types(data):
            return self.deref(data.get("items")) or {}, True
        return data, False

    def example(self, operation: Operation) -> tuple[int, object]:
        """The spec's example of a success (status and body), or one built from its schema when it has none."""
        status = self.success_status(operation)
        response = self.response(operation, status) or {}
        media = (response.get("content") or {}).get("application/json") or {}
        for example in (media.get("examples") or {}).values():
            example = self.deref(example)
            if isinstance(example, Mapping) and "value" in example:
                return status, copy.deepcopy(example["value"])
        if "example" in media:
            return status, copy.deepcopy(media["example"])
        data, many = self.data_schema(operation)
        return status, {"success": True, "data": [] if many else self.placeholder_object(data)}

    # -- stored objects ------------------------------------------------------------------------

    def properties(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """An object schema's properties, through ``$ref`` and ``allOf``."""
        schema = self.deref(schema) or {}
        found: dict[str, Any] = {}
        for part in schema.get("allOf") or ():
            found.update(self.properties(part))
        found.update(schema.get("properties") or {})
        return found

    def required(self, schema: Mapping[str, Any]) -> list[str]:
        """An object schema's required properties, through ``$ref`` and ``allOf``."""
        schema = self.deref(schema) or {}
        names = [name for part in schema.get("allOf") or () for name in self.required(part)]
        return names + [name for name in schema.get("required") or () if name not in names]

    def placeholder(self, schema: Any) -> object:
        """The value of a property never set: null when allowed, else its default, an empty list, or null."""
        schema = self.deref(schema) or {}
        branches = [self.deref(b) for b in [*(schema.get("anyOf") or ()), *(schema.get("oneOf") or ())]]
        if "null" in _types(schema) or schema.get("nullable") is True or any("null" in _types(b) for b in branches):
            return None
        if "default" in schema:
            return copy.deepcopy(schema["default"])
        if "const" in schema:
            return schema["const"]
        if "array" in _types(schema):
            return []
        if schema.get("enum"):
            return schema["enum"][0]
        return None

    def placeholder_object(self, schema: Mapping[str, Any]) -> dict[str, object]:
        """An object with only its required properties, each at its placeholder."""
        properties = self.properties(schema)
        return {name: self.placeholder(properties.get(name)) for name in self.required(schema)}

    def shape(self, schema_name: str) -> Shape:
        """The ``Shape`` of a component schema (an empty one when the spec has no such schema)."""
        shape = self._shapes.get(schema_name)
        if shape is None:
            schemas = (self.spec.get("components") or {}).get("schemas") or {}
            schema = schemas.get(schema_name)
            if schema is None:
                shape = Shape()
            else:
                properties = self.properties(schema)
                defaults = {name: self.placeholder(properties.get(name)) for name in self.required(schema)}
                shape = Shape(frozenset(properties), defaults)
            self._shapes[schema_name] = shape
        return shape


def _undocumented(status: int) -> Check:
    """The check of a success status the operation does not document: it never passes."""

    def check(value: Any, path: Any, problems: list[Problem]) -> bool:
        problems.append((None, f"status {status} is not documented for this operation"))
        return False

    return check


def _types(schema: Any) -> list[str]:
    declared = schema.get("type", []) if isinstance(schema, Mapping) else []
    return [declared] if isinstance(declared, str) else list(declared)


@functools.cache
def shipped_api() -> Api:
    """The shipped spec, compiled once per process (every ``FakeChing()`` without ``spec=`` shares it)."""
    return Api(shipped_spec())
