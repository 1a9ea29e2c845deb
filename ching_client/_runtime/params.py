"""Query and header parameters, serialized as the spec's ``style`` and ``explode`` say (OpenAPI 3.1).

Query: ``form`` (``a=1&a=2`` exploded, ``a=1,2`` not), ``spaceDelimited`` (``a=1%202``),
``pipeDelimited`` (``a=1|2``) and ``deepObject`` (``a[k]=v``). Headers: ``simple`` (``1,2``; an
object as ``k,v`` or, exploded, ``k=v``). Booleans are ``true``/``false`` as in JSON. Names and
values are percent-encoded; only the delimiters the style defines are left as they are, so a comma
inside a value never splits it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from attrs import frozen

from .kinds import InvalidArgument, Kind, check_text, unencodable
from .unset import Unset

_QUERY_DELIMITERS = {"form": ",", "spaceDelimited": "%20", "pipeDelimited": "|"}


@frozen
class Param:
    """One query or header parameter of an operation, as the generator read it from the spec."""

    name: str
    wire: str
    kind: Kind
    style: str
    explode: bool


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _encode(value: object) -> str:
    return quote(_text(value), safe="")


def _query_pairs(param: Param, value: Any) -> list[str]:
    name = _encode(param.wire)
    if isinstance(value, Mapping):
        if param.style == "deepObject":
            return [f"{name}[{_encode(k)}]={_encode(v)}" for k, v in value.items()]
        if param.explode:
            return [f"{_encode(k)}={_encode(v)}" for k, v in value.items()]
        return [f"{name}={','.join(_encode(part) for item in value.items() for part in item)}"]
    if isinstance(value, list):
        if param.explode:
            return [f"{name}={_encode(item)}" for item in value]
        delimiter = _QUERY_DELIMITERS[param.style]
        return [f"{name}={delimiter.join(_encode(item) for item in value)}"]
    return [f"{name}={_encode(value)}"]


def encode_query(*given: tuple[Param, object]) -> str:
    """The query string (without ``?``) for the parameters given; ``UNSET`` and ``None`` ones are left out."""
    pairs: list[str] = []
    for param, value in given:
        if isinstance(value, Unset):
            continue
        checked = param.kind.convert(param.name, value)
        if checked is None:
            continue
        try:
            pairs.extend(_query_pairs(param, checked))
        except UnicodeEncodeError as exc:
            # The kinds check the strings they take; this names text they never saw (``str()`` of another type)
            # and costs nothing until it happens.
            raise InvalidArgument(param.name, unencodable(exc.object, exc.start)) from None
    return "&".join(pairs)


def _header_value(param: Param, value: Any) -> str:
    if isinstance(value, Mapping):
        separator = "=" if param.explode else ","
        text = ",".join(f"{_text(k)}{separator}{_text(v)}" for k, v in value.items())
    elif isinstance(value, list):
        text = ",".join(_text(item) for item in value)
    else:
        text = _text(value)
    # A header carries printable ASCII on one line: anything else would be mangled or split the request.
    if not text.isascii() or not text.isprintable():
        check_text(param.name, text)  # a lone surrogate is named as such
        raise InvalidArgument(param.name, f"{text!r} cannot be sent in a header (printable ASCII only)")
    return text


def encode_headers(*given: tuple[Param, object]) -> dict[str, str] | None:
    """The header parameters given, serialized; None when there are none."""
    headers: dict[str, str] = {}
    for param, value in given:
        if isinstance(value, Unset):
            continue
        checked = param.kind.convert(param.name, value)
        if checked is not None:
            headers[param.wire] = _header_value(param, checked)
    return headers or None
