"""Run a FakeChing as a real HTTP server (uvicorn), in a background thread or in the foreground."""

from __future__ import annotations

import copy
import os
import socket
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ._asgi import create_asgi_app
from ._core import FakeChing
from ._extras import SERVER_PURPOSE, MissingExtraError
from ._routes import API_PREFIX

if TYPE_CHECKING:
    import uvicorn

_STARTUP_TIMEOUT = 10.0
IDLE_TIMEOUT = 5.0
"""Seconds a connection may hold no complete request (uvicorn's own keep-alive default) before it is closed."""


def bind_socket(host: str, port: int) -> socket.socket:
    """Bind and listen on host:port now (port 0 picks a free port), so the real address is known at once."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


def base_url_for(sock: socket.socket) -> str:
    """The base URL clients should use for a bound socket: `http://host:port/ching`."""
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}{API_PREFIX}"


def _logging_config(uvicorn_config: dict[str, Any]) -> dict[str, Any]:
    """uvicorn's logging, with its access log on stderr too: stdout carries the base URL alone."""
    config = copy.deepcopy(uvicorn_config)
    config["handlers"]["access"]["stream"] = "ext://sys.stderr"
    return config


def make_uvicorn_server(
    fake: FakeChing,
    *,
    log_level: str | None = None,
    ready: threading.Event | None = None,
    idle_timeout: float = IDLE_TIMEOUT,
) -> uvicorn.Server:
    """Configure uvicorn for the fake (h11, asyncio, no lifespan); log_level None leaves logging untouched.

    A connection that holds no complete request for ``idle_timeout`` seconds is closed (see ``_idle``).
    """
    try:
        import uvicorn
    except ImportError:
        raise MissingExtraError("uvicorn", SERVER_PURPOSE) from None
    from ._idle import IdleClosingH11Protocol

    config = uvicorn.Config(
        create_asgi_app(fake),
        http=IdleClosingH11Protocol,
        timeout_keep_alive=idle_timeout,  # type: ignore[arg-type]
        loop="asyncio",
        ws="none",
        lifespan="off",
        log_level=log_level or "warning",
        access_log=log_level in ("info", "debug", "trace"),
        log_config=None if log_level is None else _logging_config(uvicorn.config.LOGGING_CONFIG),
        timeout_graceful_shutdown=1,
    )

    class _Server(uvicorn.Server):
        """uvicorn.Server that signals `ready` once it accepts connections (or failed to start)."""

        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            """Run uvicorn's startup, then signal."""
            try:
                await super().startup(sockets=sockets)
            finally:
                if ready is not None:
                    ready.set()

    return _Server(config)


class FakeServer:
    """A FakeChing served over loopback HTTP from a background thread; stop() (or `with`) shuts it down."""

    def __init__(
        self,
        fake: FakeChing,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        owns_fake: bool = False,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        """Bind the socket now; call start() to begin serving; `owns_fake` closes the fake on stop()."""
        self.fake: FakeChing = fake
        self._owns_fake = owns_fake
        self._ready = threading.Event()
        self._server = make_uvicorn_server(fake, ready=self._ready, idle_timeout=idle_timeout)
        self._socket = bind_socket(host, port)
        self.base_url: str = base_url_for(self._socket)
        """The base URL to give clients, e.g. `http://127.0.0.1:50123/ching`."""
        address = self._socket.getsockname()
        self.host: str = address[0]
        self.port: int = address[1]
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def start(self) -> FakeServer:
        """Start serving and wait until uvicorn accepts connections."""
        if self._thread is not None:
            return self

        def run() -> None:
            """Thread body: serve until should_exit, recording any crash."""
            try:
                self._server.run(sockets=[self._socket])
            except BaseException as exc:  # reported by start()
                self._error = exc
            finally:
                self._ready.set()

        self._thread = threading.Thread(target=run, name=f"ching-fake-{self.port}", daemon=True)
        self._thread.start()
        if not self._ready.wait(_STARTUP_TIMEOUT) or self._error is not None or not self._server.started:
            self.stop()
            raise RuntimeError(f"fake Ching server failed to start: {self._error!r}")
        return self

    def stop(self) -> None:
        """Stop serving, wait for the thread, and close the socket."""
        if self._thread is not None:
            self._server.should_exit = True
            self._thread.join(_STARTUP_TIMEOUT)
            self._thread = None
        self._socket.close()
        if self._owns_fake:
            self.fake.close()

    def url(self, path: str) -> str:
        """Absolute URL of an API path, e.g. `url("/v1/customers")`."""
        return self.base_url + path

    def __enter__(self) -> FakeServer:
        """Serve for the duration of a `with` block."""
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop serving."""
        self.stop()


def serve(
    fake: FakeChing | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    db: str | os.PathLike[str] | None = None,
    idle_timeout: float = IDLE_TIMEOUT,
) -> FakeServer:
    """Start a fake Ching HTTP server in a background thread: `with serve() as server: server.base_url`.

    A connection that holds no complete request for ``idle_timeout`` seconds is closed.
    """
    if fake is not None and db is not None:
        raise ValueError("pass either fake or db, not both")
    owns_fake = fake is None
    if fake is None:
        fake = open_fake(db)
    return FakeServer(fake, host, port, owns_fake=owns_fake, idle_timeout=idle_timeout).start()


def open_fake(db: str | os.PathLike[str] | None = None, **options: Any) -> FakeChing:
    """A FakeChing on a SQLite file when `db` is given, else in memory."""
    if db is None:
        return FakeChing(**options)
    from ._sqlite import SqliteStore

    return FakeChing(SqliteStore(db), **options)
