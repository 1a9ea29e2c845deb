"""What each kind of argument accepts, and how it becomes what the request model holds.

The generator describes every argument (body fields, fields of nested objects, query and header
parameters) with one of these, built from the spec's schema: ``String(min_length=1)``,
``ListOf(ModelOf(ProductFeatureInput), nullable=True)``. Checking happens before anything is sent,
so a wrong argument is an ``InvalidArgument`` naming it, never a request Ching refuses.
"""

from __future__ import annotations

import base64
import datetime
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

from .argument import InvalidArgument as InvalidArgument
from .argument import Kind as Kind
from .fields import from_mapping, from_wire
from .model import Model


class Anything(Kind):
    """A value the SDK does not check the type of (a union of several types): sent as given, once every string in it
    (nested lists, mapping keys and values) is known to be text UTF-8 can carry."""

    __slots__ = ()

    def _convert(self, name: str, value: object) -> Any:
        if isinstance(value, str):
            return check_text(name, value)
        check_texts(name, value)
        return value


class String(Kind):
    """A string within the spec's ``minLength``, ``maxLength`` and ``pattern``."""

    __slots__ = ("max_length", "min_length", "pattern")
    expected = "a string"

    def __init__(
        self,
        *,
        nullable: bool = False,
        pattern: str | None = None,
        min_length: int | None = None,
        max_length: int | None = None,
    ) -> None:
        super().__init__(nullable=nullable)
        self.pattern = pattern
        self.min_length = min_length
        self.max_length = max_length

    def _convert(self, name: str, value: object) -> Any:
        if not isinstance(value, str):
            raise self.refuse(name, value)
        check_text(name, value)
        if self.min_length is not None and len(value) < self.min_length:
            problem = "must not be empty" if self.min_length == 1 else f"needs at least {self.min_length} characters"
            raise InvalidArgument(name, problem)
        if self.max_length is not None and len(value) > self.max_length:
            raise InvalidArgument(name, f"has {len(value)} characters; at most {self.max_length} are allowed")
        if self.pattern is not None and re.search(self.pattern, value) is None:
            raise InvalidArgument(name, f"{value!r} does not match {self.pattern}")
        return value


class _Plain(Kind):
    """A value of one of ``accepts`` and none of ``refuses``, sent as it is."""

    __slots__ = ()
    accepts: ClassVar[tuple[type, ...]]
    refuses: ClassVar[tuple[type, ...]] = ()

    def _convert(self, name: str, value: object) -> Any:
        if isinstance(value, self.accepts) and not isinstance(value, self.refuses):
            return value
        raise self.refuse(name, value)


class Integer(_Plain):
    """An int (a bool is refused, though Python counts it as one)."""

    __slots__ = ()
    expected = "an integer"
    accepts, refuses = (int,), (bool,)


class Number(_Plain):
    """An int or a float (not a bool)."""

    __slots__ = ()
    expected = "a number"
    accepts, refuses = (int, float), (bool,)


class Boolean(_Plain):
    """True or False: ``"false"`` and ``0`` are refused rather than guessed at."""

    __slots__ = ()
    expected = "True or False"
    accepts = (bool,)


class DateTime(_Plain):
    """A ``datetime.datetime``; the model sends it in ISO 8601."""

    __slots__ = ()
    expected = "a datetime.datetime"
    accepts = (datetime.datetime,)


class Date(_Plain):
    """A ``datetime.date``; the model sends it in ISO 8601."""

    __slots__ = ()
    expected = "a datetime.date"
    accepts, refuses = (datetime.date,), (datetime.datetime,)


class Enum(Kind):
    """One of the values the spec lists (a request cannot carry a value this version does not know)."""

    __slots__ = ("allowed",)

    def __init__(self, allowed: Collection[str], *, nullable: bool = False) -> None:
        super().__init__(nullable=nullable)
        self.allowed = allowed

    def _convert(self, name: str, value: object) -> Any:
        if isinstance(value, str) and value in self.allowed:
            return value
        if isinstance(value, str):
            check_text(name, value)  # "a lone surrogate" says more than "must be one of"
        raise InvalidArgument(name, f"must be one of {', '.join(sorted(self.allowed))}; got {value!r}")


class Base64(Kind):
    """Raw bytes, sent base64-encoded; refused when Ching would reject them as too large."""

    __slots__ = ("max_bytes",)
    expected = "bytes"

    def __init__(self, *, nullable: bool = False, max_bytes: int | None = None) -> None:
        super().__init__(nullable=nullable)
        self.max_bytes = max_bytes

    def _convert(self, name: str, value: object) -> Any:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise self.refuse(name, value)
        raw = bytes(value)
        if not raw:
            raise InvalidArgument(name, "is empty")
        if self.max_bytes is not None and len(raw) > self.max_bytes:
            raise InvalidArgument(name, f"is {len(raw):,} bytes; the largest accepted is {self.max_bytes:,} bytes")
        return base64.b64encode(raw).decode("ascii")


class StringMap(Kind):
    """A mapping of strings to strings (such as ``metadata``), copied into a plain dict."""

    __slots__ = ()
    expected = "a mapping of strings to strings"

    def _convert(self, name: str, value: object) -> Any:
        if not isinstance(value, Mapping):
            raise self.refuse(name, value)
        for key, item in value.items():
            if not isinstance(key, str) or not isinstance(item, str):
                raise InvalidArgument(name, f"keys and values must be strings; {key!r} maps to {type(item).__name__}")
            if not (key.isascii() and item.isascii()):
                check_key(name, key)
                check_text(f"{name}.{key}", item)
        return dict(value)


class ListOf(Kind):
    """A list or tuple (not a string), each item checked as ``item`` and named ``name[i]``."""

    __slots__ = ("item",)
    expected = "a list"

    def __init__(self, item: Kind, *, nullable: bool = False) -> None:
        super().__init__(nullable=nullable)
        self.item = item

    def _convert(self, name: str, value: object) -> Any:
        if isinstance(value, (str, bytes, bytearray, Mapping)) or not isinstance(value, Sequence):
            raise self.refuse(name, value)
        return [self.item.convert(f"{name}[{i}]", item) for i, item in enumerate(value)]


class ModelOf(Kind):
    """A nested object: the model itself, or a mapping with the model's Python (snake_case) names.

    Another model (such as a response's ``ProductFeature`` given where a ``ProductFeatureInput`` is
    expected) is read through its wire form, so its fields must all be fields of this model.
    """

    __slots__ = ("model",)

    def __init__(self, model: type[Model], *, nullable: bool = False) -> None:
        super().__init__(nullable=nullable)
        self.model = model

    def _convert(self, name: str, value: object) -> Any:

        if isinstance(value, self.model):
            # Built by the caller, so its fields were never checked here: its text still must reach the wire.
            check_texts(name, value)
            return value
        if isinstance(value, Mapping):
            return from_mapping(self.model, value, name)
        to_dict = getattr(value, "to_dict", None)
        if callable(to_dict):
            return from_wire(self.model, to_dict(), name)
        raise self.refuse(name, value, f"a {self.model.__name__} or a mapping")


def path_segment(name: str, value: object, reserved: Collection[str] = (), *, integer: bool = False) -> str:
    """Percent-encode one path parameter, refusing values that could reach another route.

    ``""``, ``.`` and ``..`` would be collapsed by httpx; a ``/`` may be decoded by a proxy
    into another path; and ``reserved`` are the fixed siblings in the spec (``upsert`` next
    to ``{id}``), which name another operation. An ``integer`` parameter takes an int.
    """
    if integer:
        return str(Integer().convert(name, value))
    if not isinstance(value, str):
        raise InvalidArgument(name, f"must be a string, got {type(value).__name__}")
    check_text(name, value)
    if value in ("", ".", "..") or value in reserved:
        raise InvalidArgument(name, f"{value!r} is not a valid id")
    if "/" in value or "\\" in value:
        raise InvalidArgument(name, f"{value!r} is not a valid id: ids never contain a slash")
    return quote(value, safe="")


def unencodable(value: str, position: int) -> str:
    """What is wrong with ``value``, whose character at ``position`` is a lone surrogate, and what to do.

    The value itself is not repeated: it may be long, or something the caller would rather not see in a log.
    """
    return (
        f"has a lone surrogate (U+{ord(value[position]):04X}) at index {position}, which UTF-8 (and so JSON, a URL "
        "or a header) cannot carry. Such text usually comes from bytes decoded with errors='surrogateescape' "
        "(os.environ, sys.argv and file names that are not UTF-8) or from a broken \\u escape in JSON; "
        "decode the source with its real encoding, or drop the character"
    )


def check_text(name: str, value: str) -> str:
    """``value``, if UTF-8 can encode it; else ``InvalidArgument`` naming ``name``.

    Python strings may hold lone surrogates, which no UTF-8 encoder accepts: refused here, by name, rather than
    as a ``UnicodeEncodeError`` from the JSON or URL encoder. ASCII text (most arguments) costs one scan.
    """
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InvalidArgument(name, unencodable(value, exc.start)) from None
    return value


def check_key(name: str, key: str) -> None:
    """Like ``check_text`` for a key of mapping ``name``: the mapping is named, and the key shown escaped (a key names
    a field of the caller's; its value is what may be private)."""
    try:
        check_text(name, key)
    except InvalidArgument as exc:
        shown = ascii(key) if len(key) <= 60 else ascii(key[:60]) + "…"
        raise InvalidArgument(name, f"the key {shown} {exc.problem}") from None


def check_texts(name: str, value: object) -> None:
    """Check every string in ``value``: nested lists and tuples (``name[i]``), mappings (keys, and values as
    ``name.key``) and request models (``name.field``). Anything else is left to the JSON encoder.

    Walked with a stack, not recursion, so deep nesting cannot raise ``RecursionError``; a container met twice (shared,
    or holding itself) is walked once.
    """
    if isinstance(value, str):  # most values: no walk
        check_text(name, value)
        return
    stack: list[tuple[str, object]] = [(name, value)]
    seen: dict[int, object] = {}  # holding each container, so no id is reused by a later model's to_dict()
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            check_text(where, item)
            continue
        if not isinstance(item, (Mapping, list, tuple, Model)):
            continue
        if id(item) in seen:
            continue
        seen[id(item)] = item
        stack.extend(reversed(_children(where, item)))


def _children(where: str, item: object) -> list[tuple[str, object]]:
    """The named parts of a container ``check_texts`` walks; a mapping's keys are checked here."""
    if isinstance(item, (list, tuple)):
        return [(f"{where}[{i}]", part) for i, part in enumerate(item)]
    if isinstance(item, Mapping):
        children: list[tuple[str, object]] = []
        for key, part in item.items():
            if isinstance(key, str):
                check_key(where, key)
            children.append((f"{where}.{key}" if isinstance(key, str) else f"{where}[{key!r}]", part))
        return children
    # A model: by its Python field names when it is a request model, else through its wire form.
    assert isinstance(item, Model)
    table = type(item)._arguments
    if table is None:
        return [(where, item.to_dict())]
    children = [(f"{where}.{field}", getattr(item, field, None)) for field in table]
    return [*children, (where, getattr(item, "additional_properties", None))]
