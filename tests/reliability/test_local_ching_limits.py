"""The local Ching against hostile clients: Ching's error envelope, a bounded log, no connection held for good.

Over real HTTP: a body nested 100,000 deep gets 400 and a body over 4 MiB gets 413, each in Ching's
envelope and in the request log; the log keeps at most 64 KiB of any body; connections that never
send a whole request are closed after the idle timeout.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from ching_client.testing import FakeChing, FakeServer, serve

from ._support import KEY

AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
IDLE = 0.5


@pytest.fixture(scope="module")
def idle_server() -> Iterator[FakeServer]:
    with serve(FakeChing(), idle_timeout=IDLE) as running:
        yield running


def post(server: FakeServer, content: bytes) -> httpx.Response:
    with httpx.Client(base_url=server.base_url, headers=AUTH, timeout=30) as client:
        return client.post("/v1/customers", content=content)


def test_a_body_nested_100000_deep_gets_a_400_envelope_and_is_logged(server: FakeServer):
    response = post(server, b'{"name":' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("INVALID_FIELD", "Invalid JSON body")
    logged = server.fake.requests.last()
    assert (logged.status, logged.operation_id, logged.body) == (400, "customers_create", None)
    assert logged.raw_body is not None
    assert len(logged.raw_body) < 70 * 1024


def test_a_body_over_4_mib_gets_a_413_envelope_and_the_log_keeps_64_kib_of_it(server: FakeServer):
    response = post(server, json.dumps({"name": "x" * (12 * 1024 * 1024)}).encode())
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    logged = server.fake.requests.last()
    assert logged.status == 413
    assert logged.raw_body is not None
    assert len(logged.raw_body) < 70 * 1024
    assert server.fake.counts(KEY).customers == 0


def test_the_log_keeps_at_most_64_kib_of_an_accepted_body(server: FakeServer):
    response = post(server, json.dumps({"name": "Tal", "metadata": {"notes": "n" * (1024 * 1024)}}).encode())
    assert response.status_code in (200, 400)  # whatever Ching says of it, the log stays small
    logged = server.fake.requests.last()
    assert logged.body is None
    assert logged.raw_body is not None
    assert "1,048,6" in logged.raw_body
    assert len(logged.raw_body) < 70 * 1024


def test_connections_that_never_send_a_whole_request_are_closed(idle_server: FakeServer):
    address = (idle_server.host, idle_server.port)
    silent = [socket.create_connection(address) for _ in range(200)]
    dripping = [socket.create_connection(address) for _ in range(20)]
    for sock in dripping:
        sock.sendall(b"GET /ching/v1/customers HTTP/1.1\r\nHost: x\r\n")  # and the headers never end
    try:
        for sock in silent + dripping:
            sock.settimeout(10 * IDLE)
            assert sock.recv(1) == b"", "the server left an idle connection open"
        # The server still serves, and a connection that sends its request in time is answered.
        with httpx.Client(base_url=idle_server.base_url, headers=AUTH) as client:
            assert client.get("/v1/customers").status_code == 200
    finally:
        for sock in silent + dripping:
            sock.close()
