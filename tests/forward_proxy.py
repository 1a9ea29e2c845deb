"""A tiny forward proxy on the loopback, for the tests of the clients' ``proxy=`` and the environment's proxies.

It reads each request a client sends it: a proxied ``GET http://host/...`` (forwarded as is, the absolute form every
HTTP/1.1 server takes) or a ``CONNECT host:port`` (answered ``200``, then the bytes are relayed both ways). Every
connection goes to ``upstream``, whatever host the request names, so a base URL on a host that does not exist
(``ching.invalid``) is answered only through the proxy. ``seen`` holds each request line (the first request of each
client connection: the proxy relays the rest of the connection untouched); ``connections`` counts the client's
connections.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from collections.abc import Iterator


class ForwardProxy:
    def __init__(self, upstream: tuple[str, int], *, user: str | None = None) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        port = self._listener.getsockname()[1]
        self.url = f"http://{user + '@' if user else ''}127.0.0.1:{port}"
        self.seen: list[str] = []
        self.connections = 0
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:  # closed
                return
            self.connections += 1
            self._sockets.append(client)
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with contextlib.suppress(OSError), client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    return
                head += chunk
            line = head.split(b"\r\n", 1)[0].decode("latin-1")
            self.seen.append(line)
            upstream = socket.create_connection(self.upstream)
            self._sockets.append(upstream)
            with upstream:
                if line.startswith("CONNECT "):
                    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    head = head.split(b"\r\n\r\n", 1)[1]
                if head:
                    upstream.sendall(head)
                self._relay(client, upstream)

    def _relay(self, one: socket.socket, other: socket.socket) -> None:
        peers = {one: other, other: one}
        while not self._stop.is_set():
            ready, _, _ = select.select(list(peers), [], [], 0.1)
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                peers[sock].sendall(data)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.close()


@contextlib.contextmanager
def forward_proxy(upstream_url: str, *, user: str | None = None) -> Iterator[ForwardProxy]:
    """A ``ForwardProxy`` to the host and port of ``upstream_url`` (``http://127.0.0.1:port/...``), closed after."""
    address = upstream_url.split("//", 1)[1].split("/", 1)[0]
    host, port = address.rsplit(":", 1)
    proxy = ForwardProxy((host, int(port)), user=user)
    try:
        yield proxy
    finally:
        proxy.close()
