"""The generated package: importable, deterministic, and free of the stock generator's known gaps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ching_client._generated.api.customers import customers_delete, customers_retrieve
from ching_client._generated.client import AuthenticatedClient, Client
from ching_client._generated.models.customer_upsert_envelope import CustomerUpsertEnvelope
from ching_client._generated.operations import InvalidArgument
from generator.generate import HEADER, _tree, generate

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "ching_client" / "_generated"
CUSTOMER: dict[str, object] = {
    "id": "cus_V8ltq1pK_MWH",
    "object": "customer",
    "name": "Tal Levi",
    "email": "tal@example.com",
    "phone": "+972501234567",
    "locale": "he",
    "taxId": None,
    "metadata": {},
    "default_payment_method": None,
    "livemode": False,
    "created": "2026-04-19T09:12:43.000Z",
}


def _recorder(sent: list[httpx.Request], response: httpx.Response) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return response

    return httpx.MockTransport(handle)


def _client(handler: httpx.MockTransport) -> AuthenticatedClient:
    client = AuthenticatedClient(base_url="https://api.example.test/ching", token="ck_test_x")
    client.set_httpx_client(httpx.Client(base_url="https://api.example.test/ching", transport=handler))
    return client


def test_every_generated_file_says_it_is_generated() -> None:
    files = sorted(GENERATED.rglob("*.py"))
    assert len(files) > 40
    for path in files:
        assert path.read_text(encoding="utf-8").startswith(HEADER), path


def test_generation_is_deterministic(tmp_path: Path) -> None:
    generate(out_dir=tmp_path / "first")
    generate(out_dir=tmp_path / "second")
    first, second = _tree(tmp_path / "first"), _tree(tmp_path / "second")
    assert first == second
    assert first == {k: v for k, v in _tree(GENERATED).items() if k in first}
    assert set(first) == set(_tree(GENERATED))


def test_unknown_enum_value_from_the_server_is_kept_not_raised() -> None:
    envelope = CustomerUpsertEnvelope.from_dict({"success": True, "action": "merged", "data": CUSTOMER})
    action: str = envelope.action
    assert action == "merged"
    assert envelope.data.id == "cus_V8ltq1pK_MWH"


def test_httpx_collapses_dot_segments_which_is_why_they_are_refused() -> None:
    request = httpx.Request("DELETE", "https://api.example.test/ching/v1/customers/..")
    assert request.url.path == "/ching/v1"


@pytest.mark.parametrize("bad_id", ["", ".", ".."])
def test_dot_and_empty_path_parameters_are_refused_before_any_request(bad_id: str) -> None:
    sent: list[httpx.Request] = []
    client = _client(_recorder(sent, httpx.Response(200)))
    with pytest.raises(InvalidArgument, match="id"):
        customers_delete.sync_detailed(bad_id, client=client)
    assert sent == []


def test_path_parameters_are_percent_encoded_into_one_segment() -> None:
    sent: list[httpx.Request] = []
    client = _client(_recorder(sent, httpx.Response(404)))
    customers_retrieve.sync_detailed("x?y=1#z %", client=client)
    assert sent[0].url.raw_path == b"/ching/v1/customers/x%3Fy%3D1%23z%20%25"


@pytest.mark.parametrize("bad_id", ["a/b", "../products", "upsert"])
def test_ids_that_could_reach_another_route_are_refused(bad_id: str) -> None:
    sent: list[httpx.Request] = []
    client = _client(_recorder(sent, httpx.Response(200)))
    with pytest.raises(InvalidArgument, match="not a valid id"):
        customers_retrieve.sync_detailed(bad_id, client=client)
    assert sent == []


def test_html_error_page_from_a_proxy_does_not_crash_parsing() -> None:
    html = b"<html><body><h1>502 Bad Gateway</h1></body></html>"
    client = _client(httpx.MockTransport(lambda r: httpx.Response(502, content=html)))
    response = customers_retrieve.sync_detailed("cus_1", client=client)
    assert response.status_code == 502
    assert response.parsed is None
    assert response.content == html


def test_non_standard_status_code_does_not_crash_parsing() -> None:
    client = _client(httpx.MockTransport(lambda r: httpx.Response(520, content=b"origin error")))
    response = customers_retrieve.sync_detailed("cus_1", client=client)
    assert response.status_code == 520
    assert response.parsed is None


def test_documented_status_with_malformed_json_gives_none() -> None:
    client = _client(httpx.MockTransport(lambda r: httpx.Response(200, content=b'{"success": true, "da')))
    assert customers_retrieve.sync_detailed("cus_1", client=client).parsed is None


def test_documented_success_still_parses() -> None:
    body = json.dumps({"success": True, "data": CUSTOMER}).encode()
    client = _client(httpx.MockTransport(lambda r: httpx.Response(200, content=body)))
    parsed = customers_retrieve.sync_detailed("cus_V8ltq1pK_MWH", client=client).parsed
    assert parsed is not None
    assert parsed.to_dict()["data"]["id"] == "cus_V8ltq1pK_MWH"


@pytest.mark.parametrize("timeout", [None, "omitted"])
def test_generated_client_never_sends_without_a_timeout(timeout: object) -> None:
    kwargs = {} if timeout == "omitted" else {"timeout": timeout}
    client = Client(base_url="https://api.example.test", **kwargs)  # type: ignore[arg-type]
    configured = client.get_httpx_client().timeout
    assert configured.connect is not None
    assert configured.read is not None
    client.get_httpx_client().close()


def test_an_open_enum_in_the_spec_is_a_literal_type_in_python() -> None:
    from typing import get_args

    from ching_client._generated.models.upsert_action import UpsertAction

    assert get_args(UpsertAction) == ("created", "updated")


def test_only_the_open_enum_form_is_read_as_a_plain_enum() -> None:
    from generator.generate import _open_enums_as_plain_enums

    spec: dict[str, Any] = {
        "open": {"description": "d", "anyOf": [{"type": "string", "enum": ["a", "b"]}, {"type": "string"}]},
        "union": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "nested": [{"anyOf": [{"type": "string"}, {"type": "string", "enum": ["x"]}]}],
    }
    assert _open_enums_as_plain_enums(spec) == {
        "open": {"description": "d", "type": "string", "enum": ["a", "b"]},
        "union": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "nested": [{"type": "string", "enum": ["x"]}],
    }
    assert spec["open"]["anyOf"]  # the loaded spec itself is left as it was
