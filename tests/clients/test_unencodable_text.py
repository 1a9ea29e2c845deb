"""Text UTF-8 cannot carry (a lone surrogate) in any string argument is refused by name before anything is sent.

The string arguments are read from the generated operations (path parameters, query and header parameters, body
fields and the fields of nested objects), so an operation or a field added to the spec is covered after
``make generate``. Each runs on AsyncChing (asyncio and trio) and Ching, on the engine the run selects.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from ching_client import InvalidArgumentError
from ching_client._generated import api as generated_api
from ching_client._runtime import kinds
from ching_client._runtime.model import Model
from ching_client._runtime.params import Param

from ._support import Harness, ScriptedServer

pytestmark = pytest.mark.anyio

SURROGATE = "ok\ud800"
"""What ``"ok\\udcff".encode()`` refuses: as ``json.loads('"ok\\\\ud800"')`` or a surrogateescape'd byte makes."""
AT = "has a lone surrogate (U+D800) at index 2"
PATH_VALUE = "cus_1"


def _operations() -> Iterator[ModuleType]:
    for info in pkgutil.walk_packages(generated_api.__path__, generated_api.__name__ + "."):
        module = importlib.import_module(info.name)
        if hasattr(module, "OPERATION"):
            yield module


def _valid(kind: kinds.Kind) -> Any:
    """A value ``kind`` accepts, for the required arguments around the one poisoned."""
    if isinstance(kind, kinds.String) and kind.pattern is None:
        return "x" * max(kind.min_length or 1, 1)
    if isinstance(kind, kinds.Enum):
        return sorted(kind.allowed)[0]
    if isinstance(kind, kinds.Base64):
        return b"x"
    raise AssertionError(f"no valid value known for a required {type(kind).__name__}: teach _valid")


def _poisoned(name: str, kind: kinds.Kind) -> Iterator[tuple[Any, str]]:
    """(value, the argument the error must name) for every place in ``kind`` that takes text."""
    if isinstance(kind, (kinds.String, kinds.Enum, kinds.Anything)):
        yield SURROGATE, name
    elif isinstance(kind, kinds.StringMap):
        yield {SURROGATE: "v"}, name  # a key: the mapping is named
        yield {"k": SURROGATE}, f"{name}.k"
    elif isinstance(kind, kinds.ListOf):
        for value, argument in _poisoned(f"{name}[0]", kind.item):
            yield [value], argument
    elif isinstance(kind, kinds.ModelOf):
        table = kind.model._arguments or {}
        for field in table.values():
            required = {f.name: _valid(f.kind) for f in table.values() if f.required and f is not field}
            for value, argument in _poisoned(f"{name}.{field.name}", field.kind):
                yield {**required, field.name: value}, argument
                yield kind.model(**required, **{field.name: value}), argument  # a model the caller built


def _body_model(module: ModuleType, keywords: set[str]) -> type[Model] | None:
    """The request model whose fields are the operation's body arguments."""
    found = [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, Model)
        and value._arguments
        and set(value._arguments) <= keywords
    ]
    assert len(found) <= 1, found
    return found[0] if found else None


def _cases() -> Iterator[Any]:
    for module in _operations():
        operation_id: str = module.OPERATION.operation_id
        tag = module.__name__.rsplit(".", 2)[1]
        method = operation_id.removeprefix(f"{tag}_")
        parameters = inspect.signature(module.build).parameters.values()
        positional = [p.name for p in parameters if p.kind is p.POSITIONAL_OR_KEYWORD]
        keywords = {p.name for p in parameters if p.kind is p.KEYWORD_ONLY}
        body = _body_model(module, keywords)
        table = body._arguments if body is not None and body._arguments else {}
        # Every argument the builder takes is a path parameter, a Param of the module, or a body field.
        params = {p.name: p for p in vars(module).values() if isinstance(p, Param)}
        assert keywords == set(table) | set(params), f"{operation_id}: arguments the test cannot place"
        required = {f.name: _valid(f.kind) for f in table.values() if f.required}
        kinds_by_name: dict[str, kinds.Kind] = {p.name: p.kind for p in params.values()}
        kinds_by_name.update({f.name: f.kind for f in table.values()})
        slots = [(name, kinds.String()) for name in positional] + list(kinds_by_name.items())
        for name, kind in slots:
            for number, (value, argument) in enumerate(_poisoned(name, kind)):
                args = [value if p == name else PATH_VALUE for p in positional]
                kwargs = {**required, **({name: value} if name not in positional else {})}
                yield pytest.param(tag, method, args, kwargs, argument, id=f"{tag}.{method}-{argument}-{number}")


CASES = list(_cases())
# The reading of the generated code found each kind of string argument: a path parameter, a body string, an enum,
# a metadata key and value, and a field of a nested object (checked at collection, so a regression cannot pass).
assert {"id", "name", "identify_by", "metadata", "metadata.k", "features[0].title"} <= {c.values[4] for c in CASES}


@pytest.mark.parametrize(("tag", "method", "args", "kwargs", "argument"), CASES)
async def test_a_lone_surrogate_in_any_string_argument_is_refused_by_name_before_sending(
    harness: Harness,
    server: ScriptedServer,
    tag: str,
    method: str,
    args: list[Any],
    kwargs: dict[str, Any],
    argument: str,
):
    client = harness.client()
    with pytest.raises(InvalidArgumentError) as caught:
        await harness.call(getattr(getattr(client, tag), method), *args, **kwargs)
    exc = caught.value
    assert exc.argument == argument
    prefix = f"{tag}.{method}: {argument}: "
    assert str(exc).startswith(prefix)
    assert AT in str(exc)
    assert "surrogateescape" in str(exc)  # where such text comes from, so it can be fixed at the source
    assert SURROGATE not in str(exc)  # the message is itself printable and loggable
    assert server.count == 0


async def test_text_a_check_missed_is_still_refused_before_sending(
    harness: Harness, server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
):
    # As if a kind forgot to check its text: the encoder's UnicodeEncodeError is still an InvalidArgumentError.
    monkeypatch.setattr(kinds, "check_text", lambda name, value: value)
    client = harness.client()
    with pytest.raises(InvalidArgumentError) as caught:
        await harness.call(client.customers.retrieve, SURROGATE)
    assert str(caught.value).startswith(f"customers.retrieve: an argument {AT}")
    assert server.count == 0
