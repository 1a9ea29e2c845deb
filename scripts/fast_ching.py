"""A server that answers Ching's upsert and retrieve as fast as one asyncio protocol can: the benchmark's far end.

python scripts/fast_ching.py [--port 0] [--latency 0.02]    prints its base URL on stdout, serves until stopped

`make bench` measures bulk upserts against it because the local Ching (``ching_client.testing``: routing, validation,
phone numbers, a store, a request log, on uvicorn) spends about as much CPU per request as the clients it is
measuring, so with two cores it can be the bottleneck rather than the client. This one parses nothing it does not
need: the request line, ``Content-Length``, and the JSON body of an upsert (its name and email are echoed back, so
the answer is a well-formed customer of Ching's shape). Each answer is sent ``--latency`` seconds after its request
arrived, without blocking the others, as a remote API's would. It keeps connections alive, as HTTP/1.1 clients
expect. It is not a fake of Ching: only ``POST /v1/customers/upsert`` and ``GET /v1/customers/{id}`` answer 200;
everything else gets Ching's 404 envelope.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import sys
from typing import Any

_IDS = itertools.count(1)
_CREATED = "2026-01-01T00:00:00.000Z"
_NOT_FOUND = json.dumps(
    {"success": False, "error": {"status": 404, "code": "NOT_FOUND", "message": "No such route"}}
).encode()


def _customer(customer_id: str, name: str, email: str | None) -> dict[str, Any]:
    return {
        "id": customer_id,
        "object": "customer",
        "name": name,
        "email": email,
        "phone": None,
        "locale": "he",
        "taxId": None,
        "metadata": {},
        "default_payment_method": None,
        "livemode": False,
        "created": _CREATED,
    }


def answer(method: bytes, path: bytes, body: bytes) -> tuple[int, bytes]:
    """The status and JSON body for one request."""
    route = path.split(b"?", 1)[0]
    if method == b"POST" and route.endswith(b"/v1/customers/upsert"):
        try:
            row = json.loads(body)
        except ValueError:
            row = None
        if not isinstance(row, dict):
            return 400, json.dumps({"success": False, "error": {"status": 400, "code": "INVALID_FIELD"}}).encode()
        customer = _customer(f"cus_{next(_IDS):012d}", str(row.get("name") or ""), row.get("email"))
        return 200, json.dumps({"success": True, "action": "created", "data": customer}).encode()
    if method == b"GET" and b"/v1/customers/" in route:
        customer_id = route.rsplit(b"/", 1)[1].decode("ascii", "replace")
        customer = _customer(customer_id, "Tal Levi", "tal@example.com")
        return 200, json.dumps({"success": True, "data": customer}).encode()
    return 404, _NOT_FOUND


class _Connection(asyncio.Protocol):
    """One client connection. Every answer waits the same latency, so answers leave in the order their requests
    came, as HTTP/1.1 requires even of a client that pipelines."""

    def __init__(self, latency: float) -> None:
        self._latency = latency
        self._buffer = b""
        self._transport: asyncio.Transport | None = None
        self._loop = asyncio.get_running_loop()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        while True:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self._buffer[:end]
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip() or 0)
            if len(self._buffer) < end + 4 + length:
                return
            body = self._buffer[end + 4 : end + 4 + length]
            self._buffer = self._buffer[end + 4 + length :]
            method, path, _ = [*head.split(b"\r\n", 1)[0].split(b" "), b"", b""][:3]
            status, payload = answer(method, path, body)
            response = (
                f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
            ).encode() + payload
            if self._latency > 0:
                self._loop.call_later(self._latency, self._send, response)
            else:
                self._send(response)

    def _send(self, response: bytes) -> None:
        if self._transport is not None:
            self._transport.write(response)


async def serve(host: str, port: int, latency: float) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: _Connection(latency), host, port, backlog=1024)
    bound = server.sockets[0].getsockname()
    print(f"http://{bound[0]}:{bound[1]}/ching", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer (%(default)s)")
    args = parser.parse_args(argv)
    try:
        asyncio.run(serve(args.host, args.port, args.latency))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"fast_ching: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
