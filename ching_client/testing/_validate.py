"""Hand-written checks of the body fields whose rules Ching's docs define, producing `INVALID_FIELD` issues.

A rule lists its `FieldSpec`s (``_rules``); the spec checks every other field (``_checks``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ._checks import json_type
from ._wire import Issue, invalid, issue

Kind = Literal["string", "boolean", "metadata", "features"]


class FieldError(ValueError):
    """Raised by a field's `convert` hook; its message becomes the issue message."""


@dataclass(frozen=True)
class FieldSpec:
    """One body field: its JSON type and constraints, and an optional conversion of a valid value."""

    name: str
    kind: Kind = "string"
    required: bool = False
    nullable: bool = False
    min_length: int = 0
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    empty_is_null: bool = False
    convert: Callable[[Any], Any] | None = None


Schema = Sequence[FieldSpec]


def _reject_constant(name: str) -> object:
    """Refuse NaN and Infinity, which are not JSON."""
    raise ValueError(f"invalid JSON constant {name}")


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Decode a request body that must be a JSON object, raising the 400 error otherwise."""
    if not body.strip():
        raise invalid([issue([], "Required: the request body must be a JSON object")])
    try:
        value = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise invalid([issue([], f"Invalid JSON: {exc}")], "Invalid JSON body") from exc
    except RecursionError:  # nested deeper than the decoder can follow: no request body of Ching's is
        raise invalid([issue([], "Invalid JSON: nested too deeply")], "Invalid JSON body") from None
    if not isinstance(value, dict):
        raise invalid([issue([], f"Expected object, received {json_type(value)}")])
    return value


def _check_string(spec: FieldSpec, value: str, path: list[str | int], issues: list[Issue]) -> bool:
    """Apply length, enum and pattern rules to a string; report and return False on failure."""
    if len(value) < spec.min_length:
        issues.append(issue(path, f"String must contain at least {spec.min_length} character(s)"))
        return False
    if spec.choices and value not in spec.choices:
        expected = " | ".join(f"'{choice}'" for choice in spec.choices)
        issues.append(issue(path, f"Invalid enum value. Expected {expected}, received '{value}'"))
        return False
    if spec.pattern is not None and re.fullmatch(spec.pattern, value) is None:
        issues.append(issue(path, f"Invalid: must match {spec.pattern}"))
        return False
    return True


def _check_metadata(value: object, path: list[str | int], issues: list[Issue]) -> bool:
    """Metadata is an object whose values are all strings."""
    if not isinstance(value, dict):
        issues.append(issue(path, f"Expected object, received {json_type(value)}"))
        return False
    ok = True
    for key, item in value.items():
        if not isinstance(item, str):
            issues.append(issue([*path, key], f"Expected string, received {json_type(item)}"))
            ok = False
    return ok


_FEATURE_FIELDS = (
    FieldSpec("title", required=True, min_length=1),
    FieldSpec("subtitle", nullable=True),
)


def _check_features(value: object, path: list[str | int], issues: list[Issue]) -> list[dict[str, Any]] | None:
    """Features are an array of `{title, subtitle?}` objects; return them normalised or None on failure."""
    if not isinstance(value, list):
        issues.append(issue(path, f"Expected array, received {json_type(value)}"))
        return None
    before = len(issues)
    features: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            issues.append(issue([*path, index], f"Expected object, received {json_type(item)}"))
            continue
        cleaned = validate_fields(item, _FEATURE_FIELDS, [*path, index], issues)
        features.append({"title": cleaned.get("title"), "subtitle": cleaned.get("subtitle")})
    return features if len(issues) == before else None


def _validate_value(spec: FieldSpec, value: object, path: list[str | int], issues: list[Issue]) -> tuple[bool, Any]:
    """Check one present field; return (ok, cleaned value)."""
    if value is None:
        if spec.nullable:
            return True, None
        expected = {"boolean": "boolean", "metadata": "object", "features": "array"}.get(spec.kind, "string")
        issues.append(issue(path, f"Expected {expected}, received null"))
        return False, None
    if spec.kind == "metadata":
        return _check_metadata(value, path, issues), value
    if spec.kind == "features":
        features = _check_features(value, path, issues)
        return features is not None, features
    if spec.kind == "boolean":
        if not isinstance(value, bool):
            issues.append(issue(path, f"Expected boolean, received {json_type(value)}"))
            return False, None
        return True, value
    if not isinstance(value, str):
        issues.append(issue(path, f"Expected string, received {json_type(value)}"))
        return False, None
    if spec.empty_is_null and value == "":
        return True, None
    if not _check_string(spec, value, path, issues):
        return False, None
    if spec.convert is not None:
        try:
            return True, spec.convert(value)
        except FieldError as exc:
            issues.append(issue(path, str(exc)))
            return False, None
    return True, value


def validate_fields(
    body: dict[str, Any], schema: Schema, prefix: list[str | int], issues: list[Issue]
) -> dict[str, Any]:
    """Validate the fields of one object, appending issues; unknown fields are dropped."""
    cleaned: dict[str, Any] = {}
    for spec in schema:
        path = [*prefix, spec.name]
        if spec.name not in body:
            if spec.required:
                issues.append(issue(path, "Required"))
            continue
        ok, value = _validate_value(spec, body[spec.name], path, issues)
        if ok:
            cleaned[spec.name] = value
    return cleaned


def validate_body(body: bytes, schema: Schema) -> dict[str, Any]:
    """Parse and validate a JSON body against `schema`; return the known, cleaned fields or raise 400."""
    issues: list[Issue] = []
    cleaned = validate_fields(parse_json_object(body), schema, [], issues)
    if issues:
        raise invalid(issues)
    return cleaned
