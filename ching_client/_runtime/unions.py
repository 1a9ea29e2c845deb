"""``no_shape_matches``: the error a generated union parser raises when a value fits none of its shapes.

A union is parsed by trying each shape in turn; the last one's failure alone would name the wrong
thing (a customer lacking ``created`` would be reported as a tombstone lacking ``deleted``), so the
error names what each shape missed.
"""

from __future__ import annotations


def _missed(shape: str, error: Exception) -> str:
    if isinstance(error, KeyError):
        return f"{shape} lacks {error.args[0]!r}" if error.args else f"{shape} lacks a field"
    return f"{shape}: {error}" if str(error) else f"not a {shape}"


class NoShapeMatches(ValueError):
    """A value that fits none of a union's shapes; the message says what each shape missed."""


def no_shape_matches(failures: list[tuple[str, Exception]]) -> NoShapeMatches:
    """The error that says, for each shape tried, why the value is not that shape."""
    return NoShapeMatches("data matching none of its documented shapes: " + "; ".join(_missed(*f) for f in failures))
