"""Operations with no rule, served by REST convention on the fake's store.

The path and method say what an operation does: POST on a collection (``/v1/invoices``) creates,
GET on it lists (newest first, at most 100); GET on an item (``/v1/invoices/{id}``) retrieves,
POST, PATCH or PUT updates (PUT replaces), DELETE deletes. A collection under an item
(``/v1/customers/{id}/invoices``) holds what was created under that parent, and answers 404 when
the parent does not exist (as the parent's own retrieve answers). On a collection the built-in
rules keep (customers, products), a conventional verb uses the rule of the same verb on the same
path (PATCH as the POST update). The objects are built from the spec's response schema: an id,
``object``, ``livemode`` and ``created`` when the schema has them, the body's fields, and every
other required field at null (or its default).

Where convention cannot tell (an action such as ``POST /v1/products/upload_image``, or a verb a
built-in collection has no rule for), the fake answers the spec's example and says so: in the
request log (``LoggedRequest.note``) and as a warning on the ``ching_client.testing`` logger.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ._clock import format_millis
from ._context import Context, Rule, Rules
from ._records import ObjectRecord
from ._spec import Api, Operation, normalise
from ._wire import ApiError, FakeResponse, json_response, success

logger = logging.getLogger("ching_client.testing")

Verb = Literal["create", "list", "retrieve", "update", "replace", "delete"]
_VERBS: dict[tuple[bool, str], Verb] = {
    (False, "POST"): "create",
    (False, "GET"): "list",
    (True, "GET"): "retrieve",
    (True, "POST"): "update",
    (True, "PATCH"): "update",
    (True, "PUT"): "replace",
    (True, "DELETE"): "delete",
}
_SAME_VERB: dict[Verb, tuple[str, ...]] = {
    "create": ("POST",),
    "list": ("GET",),
    "retrieve": ("GET",),
    "update": ("POST", "PATCH", "PUT"),
    "replace": ("PUT", "POST", "PATCH"),
    "delete": ("DELETE",),
}
_VERSION = re.compile(r"v\d+")


@dataclass(frozen=True)
class Plan:
    """How convention reads an operation's path: the verb, the collection, and its parent item."""

    verb: Verb | None
    collection: str = ""
    """The collection's template, parameters unnamed: ``/v1/customers/{}/invoices``."""
    name: str = ""
    """The collection's last segment: ``invoices``."""
    parent: str | None = None
    """The parent item's template, parameters unnamed (``/v1/customers/{}``), for a sub-collection."""
    parent_params: int = 0
    """How many of the path's parameters (the first ones) name the parent."""


def plan(operation: Operation) -> Plan:
    """Read an operation's path by REST convention (``verb`` is None when the path does not tell)."""
    segments = normalise(operation.template).strip("/").split("/")
    prefix = [segments.pop(0)] if segments and _VERSION.fullmatch(segments[0]) else []
    alternating = all((segment == "{}") == (index % 2 == 1) for index, segment in enumerate(segments))
    if not segments or not alternating:
        return Plan(None)
    item = len(segments) % 2 == 0
    verb = _VERBS.get((item, operation.method))
    collection_segments = segments[:-1] if item else segments
    parent_segments = collection_segments[:-1]
    return Plan(
        verb,
        collection="/" + "/".join(prefix + collection_segments),
        name=collection_segments[-1],
        parent="/" + "/".join(prefix + parent_segments) if parent_segments else None,
        parent_params=len(parent_segments) // 2,
    )


def rule_for(api: Api, rules: Rules, operation: Operation) -> Rule | None:
    """The rule that serves an operation: its own, else that of the same verb on the same path.

    So a PATCH the spec adds beside the built-in POST update of customers is that update, with its
    own field checks (phone normalisation, ...), not a generic one.
    """
    found = rules.get(operation.operation_id)
    if found is not None:
        return found
    verb = plan(operation).verb
    for other in api.find(operation.template, _SAME_VERB[verb]) if verb else ():
        found = rules.get(other.operation_id)
        if found is not None:
            return found
    return None


def serve(ctx: Context, params: Mapping[str, str], body: dict[str, Any]) -> Any:
    """The handler of every operation no rule serves (see ``rule_for``)."""
    operation = ctx.operation
    how = plan(operation)
    if how.verb is None:
        return answer_example(ctx, "its path is not a collection or an item of one")
    if _kept_by_rules(ctx, how):
        return answer_example(ctx, f"no rule {how.verb}s what the built-in rules of {how.collection} keep")
    values = [params[name] for name in operation.params]
    parent = "/".join(values[: how.parent_params])
    if how.parent is not None:
        _check_parent(ctx, how.parent, values[: how.parent_params])
    if how.verb == "create":
        return _create(ctx, how, parent, body)
    if how.verb == "list":
        return [record.data for record in ctx.store.list_objects(ctx.scope, how.collection, parent, ctx.list_limit)]
    record = _load(ctx, how, parent, values[-1])
    if how.verb == "retrieve":
        return record.data
    if how.verb == "delete":
        ctx.store.delete_object(ctx.scope, how.collection, record.id)
        return _tombstone(ctx, record.data)
    identity: dict[str, Any] = {
        name: record.data[name] for name in ("id", "object", "livemode", "created") if name in record.data
    }
    data = _build(ctx, how, parent, body, identity if how.verb == "replace" else record.data)
    ctx.store.save_object(dataclasses.replace(record, data=data))
    return data


def answer_example(ctx: Context, why: str) -> FakeResponse:
    """Answer the spec's example of a success, saying so in the request log and on the logger."""
    status, body = ctx.api.example(ctx.operation)
    note = f"answered the spec's example: no rule for {ctx.operation.operation_id}, and {why}"
    logger.warning("local Ching, %s: %s (teach it one with ching_client.testing.rule)", ctx.request_id, note)
    return dataclasses.replace(json_response(status, body), note=note)


def _kept_by_rules(ctx: Context, how: Plan) -> bool:
    """Whether the built-in rules keep this collection's objects (so the generic store has none of them)."""
    templates = (how.collection, how.collection + "/{}")
    return any(
        ctx.rules.get(operation.operation_id) is not None
        for template in templates
        for operation in ctx.api.find(template, ("GET", "POST", "PUT", "PATCH", "DELETE"))
    )


def _check_parent(ctx: Context, template: str, values: list[str]) -> None:
    """Raise the parent's own 404 when it does not exist (by running its retrieve, rule or convention)."""
    for operation in ctx.api.find(template, ("GET",)):
        parent_ctx = dataclasses.replace(ctx, operation=operation)
        found = rule_for(ctx.api, ctx.rules, operation)
        handler = found.handler if found is not None else serve
        handler(parent_ctx, dict(zip(operation.params, values, strict=True)), {})
        return


def _singular(name: str) -> str:
    return name[:-1] if name.endswith("s") and len(name) > 1 else name


def _load(ctx: Context, how: Plan, parent: str, object_id: str) -> ObjectRecord:
    record = ctx.store.get_object(ctx.scope, how.collection, object_id)
    if record is None or record.parent != parent:
        raise ApiError(404, "NOT_FOUND", f"{_singular(how.name).replace('_', ' ').capitalize()} not found")
    return record


def _id_prefix(ctx: Context, how: Plan) -> str:
    """The prefix of new ids: the one the schema's example id shows (``inv_…``), else the name's first letters."""
    schema, _ = ctx.api.data_schema(ctx.operation)
    example = ctx.api.deref(ctx.api.properties(schema).get("id")) or {}
    samples = [*(example.get("examples") or ()), example.get("example")]
    for sample in samples:
        if isinstance(sample, str) and "_" in sample:
            return sample.split("_", 1)[0] + "_"
    return re.sub(r"[^a-z0-9]", "", how.name.lower())[:3] + "_"


def _build(ctx: Context, how: Plan, parent: str, body: dict[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """An object as the response schema describes it: ``base``, then the body's fields, then placeholders."""
    api = ctx.api
    schema, _ = api.data_schema(ctx.operation)
    properties = api.properties(schema)
    data = dict(base)
    data.update(body)
    owner = _singular(how.parent.rstrip("/{}").rsplit("/", 1)[-1]) if how.parent else None
    for name in (owner, f"{owner}Id", f"{owner}_id") if owner else ():
        if name in properties and name not in data:
            data[name] = parent
    for name in api.required(schema):
        if name not in data:
            data[name] = api.placeholder(properties.get(name))
    return data


def _create(ctx: Context, how: Plan, parent: str, body: dict[str, Any]) -> FakeResponse:
    schema, _ = ctx.api.data_schema(ctx.operation)
    properties = ctx.api.properties(schema)
    identity: dict[str, Any] = {}
    created_ms = ctx.now_ms()
    object_id = ctx.new_id(_id_prefix(ctx, how))
    if "id" in properties:
        identity["id"] = object_id
    kind = (ctx.api.deref(properties.get("object")) or {}).get("enum") or [_singular(how.name)]
    if "object" in properties:
        identity["object"] = kind[0]
    if "livemode" in properties:
        identity["livemode"] = ctx.scope.livemode
    if "created" in properties:
        identity["created"] = format_millis(created_ms)
    data = _build(ctx, how, parent, body, identity)
    record = ObjectRecord(
        id=object_id,
        project=ctx.scope.project,
        livemode=ctx.scope.livemode,
        seq=ctx.store.next_seq(),
        created_ms=created_ms,
        collection=how.collection,
        parent=parent,
        data=data,
    )
    ctx.store.save_object(record)
    documented = ctx.api.response(ctx.operation, ctx.create_status) is not None
    return success(data, status=ctx.create_status if documented else ctx.api.success_status(ctx.operation))


def _tombstone(ctx: Context, data: Mapping[str, Any]) -> dict[str, Any]:
    """What a delete answers: the response schema's fields of the object, with ``deleted: true`` when it has one."""
    schema, _ = ctx.api.data_schema(ctx.operation)
    properties = ctx.api.properties(schema)
    if "deleted" not in properties:
        return dict(data)
    shown = {name: value for name, value in data.items() if name in properties}
    shown["deleted"] = True
    return shown
