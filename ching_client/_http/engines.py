"""The HTTP engines the clients run on: httpx, or httpx2 (its maintained fork, same API, its own classes).

The two families share every name but no class: an ``httpx.Timeout`` means nothing to an ``httpx2.AsyncClient``,
and ``except httpx.HTTPError`` does not catch ``httpx2.ReadError``. So a client takes everything it builds (its
headers, timeouts, transports) from one ``Engine``, the family of the ``http_client`` it was given or, when it builds
its own, the default below; and failures are classified by the classes of both families alike.

Which engine a client builds by default was decided by measurement (scripts/bench, docs/performance.md):
httpx2, whose pool finds a connection in one pass. ``CHING_HTTP_ENGINE=httpx`` (or ``httpx2``) overrides it, and
``http_client=`` takes a client of either family.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType
from typing import Any, Final

from .._exceptions import ConfigurationError
from .private import client_transport, mounted_transports

ENGINES: Final = ("httpx", "httpx2")
DEFAULT_ENGINE: Final = "httpx2"
ENGINE_VARIABLE: Final = "CHING_HTTP_ENGINE"
_CORE: Final = {"httpx": "httpcore", "httpx2": "httpcore2"}


class Engine:
    """One HTTP family: ``http`` is the ``httpx`` or ``httpx2`` module, ``core`` its httpcore (loaded on first use).

    Both modules have the same API, so code written against ``httpx`` runs on either; the type checker sees httpx's
    types for both (``Any`` here, as a module cannot be typed by its interface).
    """

    __slots__ = ("_core", "http", "name", "version")
    name: str
    http: Any
    version: str
    _core: ModuleType | None

    def __init__(self, name: str) -> None:
        self.name = name
        self.http = importlib.import_module(name)
        self.version = self.http.__version__
        self._core = None

    @property
    def core(self) -> Any:
        """``httpcore`` or ``httpcore2``: imported when a pool is first built, as httpx itself does."""
        if self._core is None:
            self._core = importlib.import_module(_CORE[self.name])
        return self._core

    def __repr__(self) -> str:
        return f"<Engine {self.name} {self.version}>"


_LOADED: dict[str, Engine] = {}


def engine(name: str) -> Engine:
    """The engine called ``name`` (``httpx`` or ``httpx2``); ``ConfigurationError`` if unknown or not installed."""
    found = _LOADED.get(name)
    if found is not None:
        return found
    if name not in ENGINES:
        raise ConfigurationError(
            f"{ENGINE_VARIABLE}={name!r} is not an HTTP engine the SDK runs on: use one of {ENGINES}."
        )
    try:
        found = Engine(name)
    except ImportError:
        raise ConfigurationError(
            f"The HTTP engine {name!r} is not installed: pip install {name}, or set {ENGINE_VARIABLE} to another of "
            f"{ENGINES}."
        ) from None
    _LOADED[name] = found
    return found


def default_engine() -> Engine:
    """The engine a client builds its own HTTP client with: ``CHING_HTTP_ENGINE``, else ``DEFAULT_ENGINE``."""
    return engine(os.environ.get(ENGINE_VARIABLE, "").strip().lower() or DEFAULT_ENGINE)


def engine_of(client: object, kind: str) -> Engine:
    """The engine of an injected ``http_client``: an ``AsyncClient`` (``kind``) of httpx or httpx2, subclasses too.

    Only a family already imported can have made ``client``, so nothing is imported to find out.
    """
    for name in ENGINES:
        module = sys.modules.get(name)
        if module is not None and isinstance(client, getattr(module, kind)):
            _check_transports(client, name)
            return engine(name)
    raise ConfigurationError(
        f"http_client must be an httpx.{kind} or an httpx2.{kind}, got {type(client).__module__}."
        f"{type(client).__qualname__}."
    )


def _check_transports(client: Any, name: str) -> None:
    """Refuse a client of one family carrying a transport of the other (an ``httpx.MockTransport`` on an
    ``httpx2.AsyncClient``): the first request would fail with a bare ``AssertionError`` or ``TypeError`` inside it."""
    transports = [client_transport(client), *mounted_transports(client)]
    for other in ENGINES:
        module = sys.modules.get(other)
        if other == name or module is None:
            continue
        # Its concrete transports answer with its own Response class; a transport of one's own that serves both
        # families (the local Ching's) is left alone.
        theirs = (module.MockTransport, module.HTTPTransport, module.AsyncHTTPTransport)
        for transport in transports:
            if isinstance(transport, theirs):
                raise ConfigurationError(
                    f"http_client is an {name} client with an {other} transport ({type(transport).__qualname__}): "
                    f"the two families do not mix. Use {name}'s transport classes ({name}.MockTransport, "
                    f"{name}.AsyncHTTPTransport, ...) with an {name} client, or an {other} client."
                )


def exception_families() -> list[Any]:
    """The HTTP modules imported so far: an exception can only come from one of them."""
    return [module for module in (sys.modules.get(name) for name in ENGINES) if module is not None]
