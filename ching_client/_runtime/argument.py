"""``InvalidArgument``, and ``Kind``: the base of what each kind of argument accepts (``kinds`` has them all)."""

from __future__ import annotations

from typing import Any, ClassVar


class InvalidArgument(ValueError):
    """An argument that cannot be sent; raised before any request is built."""

    def __init__(self, argument: str, problem: str) -> None:
        super().__init__(f"{argument}: {problem}")
        self.argument = argument
        self.problem = problem


class Kind:
    """Checks one value and returns what the request model holds; ``None`` passes only where Ching accepts null."""

    __slots__ = ("nullable",)
    #: How an accepted value is described in a message ("must be a string").
    expected: ClassVar[str] = "a value"

    def __init__(self, *, nullable: bool = False) -> None:
        self.nullable = nullable

    def convert(self, name: str, value: object) -> Any:
        """The value to send for argument ``name`` (a dotted path for nested fields), or ``InvalidArgument``."""
        if value is None and self.nullable:
            return None
        return self._convert(name, value)

    def convert_optional(self, name: str, value: object) -> Any:
        """``convert`` for an argument that may be left out: ``None`` where Ching cannot take null is refused with
        what to do instead, since ``None`` means "not sent" elsewhere (``upsert_many`` rows, many other SDKs)."""
        if value is None and not self.nullable:
            raise null_refused(name)
        return self.convert(name, value)

    def _convert(self, name: str, value: object) -> Any:
        return value

    def refuse(self, name: str, value: object, expected: str | None = None) -> InvalidArgument:
        what = (expected or self.expected) + (" or None" if self.nullable else "")
        return InvalidArgument(name, f"must be {what}, got {type(value).__name__}")


def null_refused(name: str) -> InvalidArgument:
    """The error for ``None`` given for field ``name`` (a dotted path when nested), which Ching cannot set to null."""
    # A nested field is a key of the mapping the caller passed; a top-level one, a keyword argument.
    what = "key" if "." in name or "[" in name else "argument"
    return InvalidArgument(
        name,
        f"cannot be None: Ching cannot set this field to null. To not send it (an update then keeps the stored "
        f"value), leave the {what} out or pass UNSET (from ching_client import UNSET). Only upsert_many rows "
        'read None as "not sent"',
    )
