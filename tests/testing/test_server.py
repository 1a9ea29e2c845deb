"""The fake over a real loopback HTTP server (uvicorn in a thread), and the command line."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ching_client import ChingError
from ching_client.testing import DEFAULT_TEST_KEY, FakeChing, FakeServer, MissingExtraError, serve
from ching_client.testing.__main__ import main as server_main

from .helpers import fail, ok

AUTH = {"Authorization": f"Bearer {DEFAULT_TEST_KEY}"}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeServer]:
    """One server for the module (starting and stopping costs ~0.2 s)."""
    with serve() as running:
        yield running


@pytest.fixture
def client(server: FakeServer) -> Iterator[httpx.Client]:
    """A client on a freshly reset server."""
    server.fake.reset()
    with httpx.Client(base_url=server.base_url, headers=AUTH) as http:
        yield http


def test_base_url_and_a_round_trip(server: FakeServer, client: httpx.Client) -> None:
    assert server.base_url == f"http://127.0.0.1:{server.port}/ching"
    assert server.url("/v1/customers") == server.base_url + "/v1/customers"
    customer = ok(client.post("/v1/customers", json={"name": "Tal", "phone": "054-987-6543"}))
    assert customer["phone"] == "+972549876543"
    assert ok(client.get(f"/v1/customers/{customer['id']}")) == customer
    # paths without the /ching prefix work too
    assert ok(client.get(f"http://127.0.0.1:{server.port}/v1/customers")) == [customer]
    fail(client.get("/v1/customers", headers={"Authorization": "Bearer bad"}), 401, "NO_ACCESS")
    fail(client.get("/v1/nothing"), 404, "NOT_FOUND")
    fail(client.delete("/v1/products/prod_x"), 405, "METHOD_NOT_ALLOWED")
    fail(client.post("/v1/customers", content=b"{"), 400, "INVALID_FIELD")


def test_uploaded_image_url_is_served(server: FakeServer, client: httpx.Client) -> None:
    url = ok(client.post("/v1/products/upload_image", json={"content": "iVBORw0KGgo=", "filename": "logo"}))["url"]
    assert url.startswith(f"{server.base_url}/_fake/images/")
    with httpx.Client() as anonymous:
        image = anonymous.get(url)
    assert (image.status_code, image.headers["content-type"], image.content) == (200, "image/png", b"\x89PNG\r\n\x1a\n")


def test_admin_routes(server: FakeServer, client: httpx.Client) -> None:
    ok(client.post("/_fake/faults", json={"kind": "status", "status": 503, "times": 1}), status=201)
    response = client.get("/v1/customers")
    assert (response.status_code, response.headers["content-type"]) == (503, "text/html")
    ok(client.post("/_fake/faults", json={"kind": "status", "status": 429, "retry_after": "0"}), status=201)
    assert client.get("/v1/customers").headers["retry-after"] == "0"
    ok(client.delete("/_fake/faults"))
    ok(client.post("/v1/customers", json={"name": "A"}))
    logged = ok(client.get("/_fake/requests"))
    assert [e["status"] for e in logged] == [503, 429, 200]
    assert logged[-1]["headers"]["authorization"].startswith("Bearer ck_test_...")
    assert logged[-1]["body"] == {"name": "A"}
    assert ok(client.get("/_fake/counts"))["customers"] == 1
    assert server.fake.counts().customers == 1  # same data from Python
    ok(client.post("/_fake/reset"))
    assert ok(client.get("/v1/customers")) == []


def test_drop_after_closes_the_socket_after_applying(server: FakeServer, client: httpx.Client) -> None:
    server.fake.faults.add("drop_after", operation="customers_create", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/v1/customers", json={"name": "A"})
    assert server.fake.counts().customers == 1
    assert len(ok(client.get("/v1/customers"))) == 1  # the client recovers on a new connection


def test_drop_before_applies_nothing(server: FakeServer, client: httpx.Client) -> None:
    server.fake.faults.add("drop_before", times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        client.post("/v1/customers", json={"name": "A"})
    assert server.fake.counts().customers == 0
    assert server.fake.requests.last().fault == "drop_before"


def test_malformed_and_latency(server: FakeServer, client: httpx.Client) -> None:
    server.fake.faults.add("malformed_json", times=1)
    response = client.get("/v1/customers")
    assert response.status_code == 200
    with pytest.raises(ValueError, match=r"Unterminated|Expecting"):
        response.json()
    server.fake.faults.add("latency", latency=0.005, times=1)
    started = time.perf_counter()
    ok(client.get("/v1/customers"))
    assert time.perf_counter() - started >= 0.005


@pytest.mark.anyio
async def test_async_client_over_http(server: FakeServer) -> None:
    server.fake.reset()
    async with httpx.AsyncClient(base_url=server.base_url, headers=AUTH) as client:
        upsert = await client.post("/v1/customers/upsert", json={"identifyBy": "email", "email": "a@x.io", "name": "A"})
        assert upsert.json()["action"] == "created"
        server.fake.faults.add("drop_after", times=1)
        with pytest.raises(httpx.RemoteProtocolError):
            await client.post("/v1/customers/upsert", json={"identifyBy": "email", "email": "a@x.io", "name": "B"})
        assert ok(await client.get("/v1/customers"))[0]["name"] == "B"


def test_serve_with_a_database_survives_a_restart(tmp_path: Path) -> None:
    db = tmp_path / "server.db"
    with serve(db=db) as first, httpx.Client(base_url=first.base_url, headers=AUTH) as client:
        customer = ok(client.post("/v1/customers", json={"name": "Persisted"}))
    with serve(db=db) as second, httpx.Client(base_url=second.base_url, headers=AUTH) as client:
        assert ok(client.get(f"/v1/customers/{customer['id']}")) == customer
    with pytest.raises(ValueError, match="either"):
        serve(FakeChing(), db=db)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_command_line_serves_and_stops(tmp_path: Path, stop: signal.Signals) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    args = [sys.executable, "-m", "ching_client.testing", "--port", "0", "--db", str(tmp_path / "cli.db")]
    args += ["--log-level", "warning", "--fault", '{"kind": "status", "status": 503, "times": 1}']
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            base_url = process.stdout.readline().strip()
            assert base_url.startswith("http://127.0.0.1:")
            assert base_url.endswith("/ching")
            with httpx.Client(base_url=base_url, headers=AUTH) as client:
                assert client.get("/v1/customers").status_code == 503
                ok(client.post("/v1/customers", json={"name": "CLI"}))
        finally:
            process.send_signal(stop)
            _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr


def test_command_line_rejects_a_bad_fault() -> None:
    args = [sys.executable, "-m", "ching_client.testing", "--port", "0", "--fault", '{"kind": "nope"}']
    result = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False)
    assert result.returncode == 2
    assert "invalid --fault" in result.stderr


def test_command_line_prints_the_url_alone_on_stdout_and_the_key_banner_and_logs_on_stderr() -> None:
    args = [sys.executable, "-m", "ching_client.testing", "--port", "0", "--log-level", "info"]
    env = {**os.environ, "PYTHONWARNINGS": "error"}
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env) as process:
        try:
            assert process.stdout is not None
            assert process.stderr is not None
            base_url = process.stdout.readline().strip()
            banner = [process.stderr.readline() for _ in range(4)]
            export = banner[-1].split()
            assert export[:2] == ["export", f"CHING_BASE_URL={base_url}"]
            key = export[2].removeprefix("CHING_API_KEY=")
            with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {key}"}) as client:
                ok(client.get("/v1/customers"))  # the key the banner gives is accepted
        finally:
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert key == DEFAULT_TEST_KEY
    assert banner[0].startswith(f"Local Ching serving at {base_url} (data in memory)")
    assert out == ""  # the URL line was all of stdout
    assert '"GET /ching/v1/customers HTTP/1.1" 200' in err  # the access log is on stderr, as --help says


def test_without_uvicorn_the_command_line_says_what_to_install_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn raises ImportError

    assert server_main(["--port", "0"]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "python -m ching_client.testing: error: The local Ching needs uvicorn to serve over HTTP: "
        "pip install uvicorn (or install ching-client with its testing extra).\n"
    )
    with pytest.raises(MissingExtraError, match="needs uvicorn"):
        serve()


def test_without_phonenumbers_the_local_ching_refuses_to_start_rather_than_answer_500(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "phonenumbers", None)

    with pytest.raises(MissingExtraError) as caught:
        FakeChing()
    assert isinstance(caught.value, ChingError)
    assert isinstance(caught.value, ImportError)
    assert str(caught.value) == (
        "The local Ching needs phonenumbers to normalise phone numbers as Ching does: "
        "pip install phonenumbers (or install ching-client with its testing extra)."
    )
    assert server_main(["--port", "0"]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_a_port_in_use_is_one_line_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert server_main(["--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"python -m ching_client.testing: error: cannot listen on 127.0.0.1:{port}: ")
    assert err.endswith("use another --port (0 picks a free one).\n")
