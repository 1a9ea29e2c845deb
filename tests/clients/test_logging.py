"""The ``ching_client`` logger: one INFO line per attempt, bodies only at DEBUG, silent otherwise.

``CHING_LOG`` is read once per process (``_logs.configure_from_env``), so these tests capture
the logger with caplog instead of setting the variable.
"""

from __future__ import annotations

import logging
import re

import pytest

from ching_client import BadRequestError, WriteOutcomeUnknownError
from tests.engine import http

from ._support import CUSTOMER, OPS_BY_NAME, Harness, ScriptedServer, error, fail, ok

pytestmark = pytest.mark.anyio

LINE = re.compile(
    r"^(?P<method>[A-Z]+) (?P<path>\S+) -> (?P<outcome>.+?) "
    r"\(attempt (?P<attempt>\d+), (?P<ms>\d+\.\d) ms(?P<tail>;.*)?\)$"
)


def _lines(caplog: pytest.LogCaptureFixture, level: int = logging.INFO) -> list[re.Match[str]]:
    found = []
    for record in caplog.records:
        if record.name == "ching_client" and record.levelno == level:
            match = LINE.match(record.getMessage())
            if match:
                found.append(match)
    return found


async def test_info_lines_carry_method_path_status_and_attempt(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="ching_client")
    server.script(error(503), fail(http.ConnectError), ok(CUSTOMER))
    await harness.call(harness.client().customers.update, "cus_1", name="Tal Levi", phone="+972501234567")
    lines = _lines(caplog)
    assert [(m["method"], m["path"], m["outcome"], m["attempt"]) for m in lines] == [
        ("POST", "/v1/customers/cus_1", "503", "1"),
        ("POST", "/v1/customers/cus_1", "not sent", "2"),
        ("POST", "/v1/customers/cus_1", "200", "3"),
    ]
    assert re.fullmatch(r"; retrying in \d\.\d\ds", lines[0]["tail"])
    assert re.fullmatch(r"; retrying in \d\.\d\ds", lines[1]["tail"])
    assert lines[2]["tail"] is None


async def test_info_line_says_why_it_gave_up(
    harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.INFO, logger="ching_client")
    server.script(fail(http.ReadTimeout))
    op = OPS_BY_NAME["customers.create"]
    with pytest.raises(WriteOutcomeUnknownError, match="upsert"):
        await harness.run(op, harness.client())
    [line] = _lines(caplog)
    assert (line["method"], line["path"], line["outcome"], line["attempt"]) == (
        "POST",
        "/v1/customers",
        "timed out",
        "1",
    )
    assert "giving up" in line["tail"]
    assert "not safe to repeat" in line["tail"]


async def test_bodies_appear_only_at_debug(harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture):
    ching = harness.client()
    op = OPS_BY_NAME["customers.create"]

    caplog.set_level(logging.INFO, logger="ching_client")
    server.script(op.reply)
    await harness.run(op, ching)
    assert len(_lines(caplog)) == 1
    assert "tal@example.com" not in caplog.text  # sent and received, but personal data: not at INFO
    assert "515123456" not in caplog.text

    caplog.clear()
    caplog.set_level(logging.DEBUG, logger="ching_client")
    server.script(op.reply)
    await harness.run(op, ching)
    debug = [r.getMessage() for r in caplog.records if r.name == "ching_client" and r.levelno == logging.DEBUG]
    assert any(m.startswith("request body") and "tal@example.com" in m for m in debug)
    assert any(m.startswith("response body") and "cus_V8ltq1pK_MWH" in m for m in debug)


async def test_silent_unless_enabled(harness: Harness, server: ScriptedServer, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="ching_client")
    server.script(error(503), error(400))
    with pytest.raises(BadRequestError, match="400"):
        await harness.call(harness.client().customers.retrieve, "cus_1")
    assert server.count == 2
    assert [r for r in caplog.records if r.name == "ching_client"] == []


@pytest.mark.parametrize("value", ["verbose", "DEBUGGING"])
def test_a_ching_log_value_that_is_no_level_is_said_not_ignored(monkeypatch: pytest.MonkeyPatch, value: str):
    from ching_client._core import logs as _logs

    monkeypatch.setattr(_logs, "_configured", False)
    monkeypatch.setenv("CHING_LOG", value)
    with pytest.warns(UserWarning, match=f"CHING_LOG='{value.lower()}' is not info or debug"):
        _logs.configure_from_env()
    assert not _logs.logger.handlers
