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

    def _convert(self, name: str, value: object) -> Any:
        return value

    def refuse(self, name: str, value: object, expected: str | None = None) -> InvalidArgument:
        what = (expected or self.expected) + (" or None" if self.nullable else "")
        return InvalidArgument(name, f"must be {what}, got {type(value).__name__}")
