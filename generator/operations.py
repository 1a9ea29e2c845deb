"""Each operation as the templates render it: its method's arguments, its request and its success envelope."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from attrs import define
from openapi_python_client import strings
from openapi_python_client.parser.openapi import Endpoint
from openapi_python_client.parser.properties.list_property import ListProperty
from openapi_python_client.parser.properties.literal_enum_property import LiteralEnumProperty
from openapi_python_client.parser.properties.model_property import ModelProperty
from openapi_python_client.parser.properties.protocol import PropertyProtocol

from generator.arguments import Argument, Import, model_import, non_null, text, translate, translate_parameter
from generator.errors import GenerationFailed
from generator.naming import CALL_OPTIONS, HTTP_METHODS

SAFE_TO_REPEAT = "x-ching-safe-to-repeat"
RESULT_FIELD = "x-ching-result-field"
PAGINATION = "x-ching-pagination"
FIELD_PREFIX = "field_"
#: Which styles each location allows, and which kinds of values each query style can carry.
STYLES = {
    "path": ("simple",),
    "header": ("simple",),
    "query": ("form", "spaceDelimited", "pipeDelimited", "deepObject"),
}


@define
class Extra:
    """An envelope field beside ``data`` (upsert's ``action``), returned with it in a result class."""

    name: str
    annotation: str
    description: str


@define
class Paging:
    """From ``x-ching-pagination``: the Python names of the page-size and cursor arguments and of the answer's
    fields, for a list operation whose method returns a pager."""

    limit: str
    starting_after: str
    ending_before: str | None
    has_more: str
    items: str
    cursor_from: str
    cursor_field: str | None
    item_annotation: str


@define
class OperationView:
    """One operation: what its endpoint module and its resource method are made of."""

    operation_id: str
    tag: str
    verb: str
    method: str
    path: str
    safe_to_repeat: bool
    summary: str
    description: str
    path_expression: str
    path_args: list[Argument]
    params: list[Argument]
    body_class: str | None
    body_args: list[Argument]
    envelope_class: str
    returns: str
    data_annotation: str
    extras: list[Extra]
    data_field: str
    result_class: str | None
    result_field: str | None
    imports: set[Import]
    result_imports: set[Import]
    nested: list[ModelProperty]
    #: The envelope and the body: where the models the SDK uses are reached from.
    roots: list[PropertyProtocol]
    #: From ``x-ching-pagination``: the method returns a pager over the pages.
    paging: Paging | None = None
    #: A list's ``maxItems`` (Ching's "100 most recent"), when it is not paged: the result says when it is full.
    cap: int | None = None

    @property
    def arguments(self) -> list[Argument]:
        """Every argument in signature order: path parameters, then required and optional keywords."""
        keywords = self.params + self.body_args
        return self.path_args + [a for a in keywords if a.required] + [a for a in keywords if not a.required]


def spec_operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(method, path, operation, path item) for every operation, in the spec's order."""
    for path, item in (spec.get("paths") or {}).items():
        for method in HTTP_METHODS:
            if isinstance(item.get(method), dict):
                yield method, path, item[method], item


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """``node`` with any ``$ref`` to this document followed."""
    seen = 0
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        seen += 1
        if seen > 20:
            raise GenerationFailed(f"{node['$ref']}: a $ref that refers to itself")
        target: Any = spec
        for part in node["$ref"][2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def dump(schema: Any) -> dict[str, Any]:
    """An openapi-python-client schema object as the plain dict it was read from."""
    if schema is None:
        return {}
    found: dict[str, Any] = schema.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return found


def _wire(prop: PropertyProtocol) -> str:
    name = prop.name
    return name.get_untrusted_value() if hasattr(name, "get_untrusted_value") else str(name)


def _parameters(spec: dict[str, Any], operation: dict[str, Any], item: dict[str, Any]) -> list[dict[str, Any]]:
    """The operation's parameters, the path item's first; an operation's parameter replaces one of the same name."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for raw in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]:
        param = resolve(spec, raw)
        merged[(param["in"], param["name"])] = param
    return list(merged.values())


def _reserved_segments(paths: list[str], path: str, wire: str) -> tuple[str, ...]:
    """For a path parameter, the fixed sibling segments at its place (``upsert`` beside ``{id}``)."""
    parts = path.split("/")
    i = parts.index("{" + wire + "}")
    found = {
        other[i]
        for other in (p.split("/") for p in paths)
        if len(other) > i and other[:i] == parts[:i] and not other[i].startswith("{")
    }
    return tuple(sorted(found))


def _parameter(spec: dict[str, Any], param: dict[str, Any], where: str, paths: list[str], path: str) -> Argument:
    location, wire = param["in"], param["name"]
    what = f"{where}: {location} parameter {wire!r}"
    if location not in STYLES:
        raise GenerationFailed(f"{what}: {location} parameters are not supported; use a header or query parameter")
    if location == "header" and wire.lower() in ("authorization", "accept", "content-type"):
        raise GenerationFailed(f"{what}: the SDK sets this header itself (OpenAPI ignores it as a parameter)")
    style = param.get("style") or ("form" if location == "query" else "simple")
    explode = bool(param.get("explode", style == "form"))
    if style not in STYLES[location]:
        raise GenerationFailed(f"{what}: style {style!r} is not allowed here; use one of {', '.join(STYLES[location])}")
    schema = resolve(spec, param.get("schema") or {})
    found = translate_parameter(schema, what)
    is_list, is_map = found.kind.startswith("ListOf"), found.kind.startswith("StringMap")
    if (style in ("spaceDelimited", "pipeDelimited") and (not is_list or explode)) or (
        style == "deepObject" and (not is_map or not explode)
    ):
        raise GenerationFailed(f"{what}: style {style!r} with explode={explode} cannot carry {found.annotation}")
    if location == "path" and found.annotation not in ("str", "int"):
        raise GenerationFailed(f"{what}: a path parameter must be a string or an integer")
    return Argument(
        name=str(strings.PythonIdentifier(wire, FIELD_PREFIX)),
        wire=wire,
        required=bool(param.get("required")) or location == "path",
        annotation=found.annotation,
        kind=found.kind,
        description=param.get("description") or schema.get("description") or "",
        location=location,
        style=style,
        explode=explode,
        reserved=_reserved_segments(paths, path, wire) if location == "path" else (),
        integer=found.annotation == "int",
    )


def body_arguments(spec: dict[str, Any], model: ModelProperty) -> tuple[list[Argument], list[ModelProperty]]:
    """The fields of a request model as arguments, and the request models nested in them."""
    schemas = dump(model.data).get("properties") or {}
    arguments, nested = [], []
    for prop in [*(model.required_properties or []), *(model.optional_properties or [])]:
        wire = _wire(prop)
        schema = resolve(spec, schemas.get(wire) or {})
        found = translate(prop, schema)
        description = text(prop.description)
        if schema.get("contentEncoding") == "base64":
            limit = schema.get("x-ching-max-decoded-bytes")
            description = "The raw bytes; the SDK base64-encodes them" + (
                f" (at most {limit:,} bytes)." if limit else "."
            )
        arguments.append(
            Argument(
                name=prop.python_name,
                wire=wire,
                required=prop.required,
                annotation=found.annotation,
                kind=found.kind,
                description=description,
                imports=frozenset(found.imports),
            )
        )
        nested += found.nested
    return arguments, nested


def _response_schemas(spec: dict[str, Any], operation: dict[str, Any]) -> list[Any]:
    found = []
    for code, response in (operation.get("responses") or {}).items():
        if str(code).startswith("2"):
            content = (resolve(spec, response).get("content") or {}).get("application/json") or {}
            found.append(resolve(spec, content.get("schema")))
    return found


def _success(spec: dict[str, Any], endpoint: Endpoint, operation: dict[str, Any], where: str) -> ModelProperty:
    """The 2xx envelope; several 2xx responses (200 and 201) must all have the same body."""
    successes = [r for r in endpoint.responses.patterns if r.status_code.range and 200 <= r.status_code.range[0] < 300]
    if not successes:
        raise GenerationFailed(f"{where}: there is no 2xx response")
    schemas = _response_schemas(spec, operation)
    if any(schema != schemas[0] for schema in schemas):
        raise GenerationFailed(f"{where}: the 2xx responses have different bodies; give them one schema")
    envelope = successes[0].prop
    if not isinstance(envelope, ModelProperty):
        raise GenerationFailed(f"{where}: the 2xx response must be an envelope object")
    return envelope


def _model_imports(prop: PropertyProtocol) -> set[Import]:
    """The models a result type names (``Customer | DeletedCustomer``, ``list[Customer]``)."""
    found: set[Import] = set()
    for inner in non_null(prop):
        if isinstance(inner, (ModelProperty, LiteralEnumProperty)):
            found.add(model_import(inner))
        elif isinstance(inner, ListProperty):
            found |= _model_imports(inner.inner_property)
    return found


def _path_expression(path: str, path_args: list[Argument]) -> str:
    """Python source that fills the path template with checked, percent-encoded segments."""
    by_wire = {a.wire: a for a in path_args}
    pieces: list[str] = []
    literal = ""
    for segment in path.split("/")[1:]:
        literal += "/"
        if segment.startswith("{") and segment.endswith("}"):
            arg = by_wire[segment[1:-1]]
            options = (f", reserved={arg.reserved!r}" if arg.reserved else "") + (
                ", integer=True" if arg.integer else ""
            )
            pieces += [repr(literal), f'path_segment("{arg.name}", {arg.name}{options})']
            literal = ""
        else:
            literal += segment
    if literal:
        pieces.append(repr(literal))
    return " + ".join(pieces)


def _check_names(where: str, arguments: list[Argument]) -> None:
    seen: dict[str, Argument] = {}
    for arg in arguments:
        if arg.name in CALL_OPTIONS:
            raise GenerationFailed(
                f"{where}: {arg.location} {arg.wire!r} would be `{arg.name}`, a name every method uses"
            )
        if arg.name in seen:
            other = seen[arg.name]
            raise GenerationFailed(
                f"{where}: {other.location} {other.wire!r} and {arg.location} {arg.wire!r} would both be `{arg.name}`"
            )
        seen[arg.name] = arg


def _body(spec: dict[str, Any], endpoint: Endpoint, where: str) -> tuple[list[Argument], list[ModelProperty]]:
    """The body's fields as arguments, and the request models it carries (the body first)."""
    if not endpoint.bodies:
        return [], []
    body = endpoint.bodies[0].prop
    if not isinstance(body, ModelProperty) or len(endpoint.bodies) > 1:
        raise GenerationFailed(f"{where}: the request body must be one JSON object")
    arguments, nested = body_arguments(spec, body)
    return arguments, [body, *nested]


def _envelope(
    spec: dict[str, Any], endpoint: Endpoint, operation: dict[str, Any], where: str
) -> tuple[ModelProperty, PropertyProtocol, list[PropertyProtocol]]:
    """The success envelope, its ``data``, and the fields beside it (``success`` aside)."""
    envelope = _success(spec, endpoint, operation, where)
    fields = {_wire(p): p for p in envelope.required_properties or []}
    if "data" not in fields:
        raise GenerationFailed(f"{where}: the success envelope has no required `data`")
    return envelope, fields["data"], [p for name, p in fields.items() if name not in ("success", "data")]


def _paging(
    operation: dict[str, Any], params: list[Argument], envelope: ModelProperty, data: PropertyProtocol
) -> Paging | None:
    """The pager's facts, from ``x-ching-pagination`` (already checked against the spec by ``generator.spec``)."""
    facts = operation.get(PAGINATION)
    if not isinstance(facts, dict):
        return None
    by_wire = {a.wire: a.name for a in params if a.location == "query"}
    every = [*(envelope.required_properties or []), *(envelope.optional_properties or [])]
    fields = {_wire(p): p.python_name for p in every}
    items = facts["items"]
    if items not in fields or not isinstance(data, ListProperty):
        raise GenerationFailed(f"{PAGINATION}: the items field {items!r} must be the answer's list")
    return Paging(
        limit=by_wire[facts["limit"]],
        starting_after=by_wire[facts["startingAfter"]],
        ending_before=by_wire.get(facts.get("endingBefore", "")),
        has_more=str(fields[facts["hasMore"]]),
        items=str(fields[items]),
        cursor_from=facts["cursorFrom"],
        cursor_field=str(fields[facts["cursorField"]]) if "cursorField" in facts else None,
        item_annotation=text(data.inner_property.get_type_string()),
    )


def _cap(spec: dict[str, Any], operation: dict[str, Any]) -> int | None:
    """``maxItems`` of the success answer's ``data`` list, when it has one."""
    schemas = _response_schemas(spec, operation)
    data = resolve(spec, ((schemas[0] or {}).get("properties") or {}).get("data") or {}) if schemas else {}
    found = data.get("maxItems") if isinstance(data, dict) and data.get("type") == "array" else None
    return found if isinstance(found, int) else None


def operation_view(
    spec: dict[str, Any], endpoint: Endpoint, method: str, path: str, operation: dict[str, Any]
) -> OperationView:
    """Everything the endpoint module and the resource method of one operation need."""
    operation_id, tag = operation["operationId"], operation["tags"][0]
    where = f"{method.upper()} {path} ({operation_id})"
    if not isinstance(operation.get(SAFE_TO_REPEAT), bool):
        raise GenerationFailed(f"{where} needs a boolean `{SAFE_TO_REPEAT}`")
    paths = list(spec.get("paths") or {})
    params = [_parameter(spec, p, where, paths, path) for p in _parameters(spec, operation, spec["paths"][path])]
    path_args = [p for p in params if p.location == "path"]
    missing = {s[1:-1] for s in path.split("/") if s.startswith("{")} - {a.wire for a in path_args}
    if missing:
        raise GenerationFailed(f"{where}: the path parameters {sorted(missing)} are not declared")
    query_and_headers = [p for p in params if p.location != "path"]
    body_args, nested = _body(spec, endpoint, where)
    _check_names(where, path_args + query_and_headers + body_args)

    envelope, data, beside = _envelope(spec, endpoint, operation, where)
    paging = _paging(operation, query_and_headers, envelope, data)
    if paging is not None:
        beside = []  # has_more and the cursor are read by the pager, not returned beside the items
    extras = [Extra(p.python_name, text(p.get_type_string()), text(p.description)) for p in beside]
    result_imports = _model_imports(data).union(*(_model_imports(p) for p in beside))
    imports = {model_import(envelope)} | result_imports | {i for arg in body_args for i in arg.imports}
    if nested:
        imports.add(model_import(nested[0]))
    result_field = operation.get(RESULT_FIELD)
    returns = text(data.get_type_string())
    if extras:
        returns = strings.pascal_case(f"{operation_id}_result")
    elif result_field:
        returns = "str"
    cap = None if paging else _cap(spec, operation)
    if paging:
        returns = f"Page[{paging.item_annotation}]"
    elif cap is not None:
        returns = (
            f"CappedList[{text(data.inner_property.get_type_string())}]" if isinstance(data, ListProperty) else returns
        )
    return OperationView(
        operation_id=operation_id,
        tag=tag,
        verb=operation_id.removeprefix(f"{tag}_"),
        method=method.upper(),
        path=path,
        safe_to_repeat=operation[SAFE_TO_REPEAT],
        summary=operation.get("summary") or "",
        description=operation.get("description") or "",
        path_expression=_path_expression(path, path_args),
        path_args=path_args,
        params=query_and_headers,
        body_class=nested[0].class_info.name if nested else None,
        body_args=body_args,
        envelope_class=envelope.class_info.name,
        returns=returns,
        data_annotation=text(data.get_type_string()),
        extras=extras,
        data_field=str(data.class_info.module_name) if isinstance(data, ModelProperty) else "data",
        result_class=returns if extras else None,
        result_field=result_field,
        imports=imports,
        result_imports=result_imports,
        nested=nested,
        roots=[envelope, *nested[:1]],
        paging=paging,
        cap=cap,
    )
