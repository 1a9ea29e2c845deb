"""``UNSET``: the default of every optional argument and field, meaning "not given, so not sent".

``None`` cannot play this part: where Ching lets you clear a field, ``None`` is sent as ``null``.
"""

from __future__ import annotations

from typing import Any, ClassVar, Final, Literal


class Unset:
    """The type of ``UNSET``; there is only ever one instance, so ``is UNSET`` and ``isinstance`` both work."""

    __slots__ = ()
    _instance: ClassVar[Unset | None] = None

    def __new__(cls) -> Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> Literal[False]:
        return False

    # Shown in help(), signatures and model reprs (`email: str | Unset = UNSET`), where the default
    # object repr (`<...Unset object at 0x7f...>`) would say nothing.
    def __repr__(self) -> str:
        return "UNSET"

    def __reduce__(self) -> str:
        return "UNSET"  # pickled by name, so unpickling gives back the one instance

    def __copy__(self) -> Unset:
        return self

    def __deepcopy__(self, memo: Any) -> Unset:
        return self


UNSET: Final = Unset()
