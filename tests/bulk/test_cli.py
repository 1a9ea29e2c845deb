"""`python -m ching_client customers sync FILE`: end to end against the local Ching over loopback HTTP."""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ching_client import Ching, Customer, UpsertProgress
from ching_client._cli import main as cli
from ching_client.testing import DEFAULT_TEST_KEY, FakeServer
from ching_client.testing._spec import shipped_api

USERS_CSV = """\
name,email,phone,metadata.plan
Tal Levi,tal@example.com,,pro
Noa Cohen,noa@example.com,054-987-6543,
Tal L.,TAL@example.com,,
Dana Katz,,,basic
Avi Ben,avi@example.com,,free
"""


@pytest.fixture
def ching(server: FakeServer) -> Iterator[Ching]:
    """A sync client for setting up and reading back the server's state."""
    with Ching(api_key=DEFAULT_TEST_KEY, base_url=server.base_url) as client:
        yield client


def sync(
    server: FakeServer, cwd: Path, *args: str, key: str | None = DEFAULT_TEST_KEY
) -> subprocess.CompletedProcess[str]:
    """Run the command line in a child process, with the key in its environment only."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CHING_")}
    if key is not None:
        env["CHING_API_KEY"] = key
    command = [sys.executable, "-m", "ching_client", "customers", "sync", *args, "--base-url", server.base_url]
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False)
    if key:
        assert key not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "\r" not in result.stderr  # stderr is a pipe: plain lines, never a progress bar
    return result


def sync_lines(server: FakeServer, cwd: Path, name: str, lines: list[str]) -> subprocess.CompletedProcess[str]:
    """Write ``lines`` as the JSON Lines file ``name`` and sync it, identified by email."""
    (cwd / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sync(server, cwd, name, "--identify-by", "email")


def by_email(ching: Ching) -> dict[str, Customer]:
    """The server's live customers, by email in lower case."""
    return {customer.email.lower(): customer for customer in ching.customers.list() if isinstance(customer.email, str)}


def test_csv_sync_creates_updates_and_writes_the_failed_rows_to_a_file_that_can_be_rerun(
    server: FakeServer, ching: Ching, tmp_path: Path
) -> None:
    ching.customers.create(name="Noa", email="noa@example.com", metadata={"plan": "gold"})
    (tmp_path / "users.csv").write_text(USERS_CSV, encoding="utf-8")

    result = sync(server, tmp_path, "users.csv", "--identify-by", "email")

    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith("Synced users.csv: 5 rows in ")
    assert "2 created, 2 updated, 1 failed." in result.stdout
    rerun = "python -m ching_client customers sync users.failures.csv --identify-by email --base-url"
    assert f"Fix the rows and run: {rerun} {server.base_url}\n" in result.stdout
    assert "line 5: INVALID_FIELD: Invalid request body (email: Required when identifyBy is 'email')" in result.stderr
    with (tmp_path / "users.failures.csv").open(newline="", encoding="utf-8") as file:
        failed = list(csv.DictReader(file))
    assert failed == [
        {
            "name": "Dana Katz",
            "email": "",
            "phone": "",
            "metadata.plan": "basic",
            "ching_error": "INVALID_FIELD: Invalid request body (email: Required when identifyBy is 'email')",
        }
    ]
    customers = by_email(ching)
    assert sorted(customers) == ["avi@example.com", "noa@example.com", "tal@example.com"]
    assert server.fake.counts().customers == 3
    # The second Tal row updated the first (in file order) and, its metadata cell empty, kept the plan.
    assert (customers["tal@example.com"].name, customers["tal@example.com"].metadata) == ("Tal L.", {"plan": "pro"})
    assert (customers["noa@example.com"].name, customers["noa@example.com"].metadata) == ("Noa Cohen", {"plan": "gold"})
    assert customers["avi@example.com"].metadata == {"plan": "free"}

    # Fix the row in the failures file, ching_error column and all, and sync that file.
    fixed = (
        (tmp_path / "users.failures.csv")
        .read_text(encoding="utf-8")
        .replace("Dana Katz,,", "Dana Katz,dana@example.com,")
    )
    (tmp_path / "users.failures.csv").write_text(fixed, encoding="utf-8")
    again = sync(server, tmp_path, "users.failures.csv", "--identify-by", "email")

    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith("Synced users.failures.csv: 1 row in ")
    assert "1 created, 0 updated, 0 failed." in again.stdout
    assert "Fix the rows" not in again.stdout
    assert not (tmp_path / "users.failures.failures.csv").exists()
    assert by_email(ching)["dana@example.com"].metadata == {"plan": "basic"}


def test_json_lines_sync_reports_a_malformed_line_as_a_failed_row_and_goes_on(
    server: FakeServer, ching: Ching, tmp_path: Path
) -> None:
    lines = [
        '{"name": "Tal", "email": "tal@example.com", "metadata": {"plan": "pro"}, "ching_error": "old"}',
        '{"name": "Noa", "email": "noa@example.com",',
        "",
        '{"email": "dana@example.com", "phone": null}',
        '["not", "an", "object"]',
        '{"name": "Avi", "taxId": "123456782", "email": "avi@example.com"}',
    ]
    result = sync_lines(server, tmp_path, "users.ndjson", lines)

    assert result.returncode == 1, result.stderr
    assert "Synced users.ndjson: 5 rows in " in result.stdout
    assert "2 created, 0 updated, 3 failed." in result.stdout
    assert "line 2: INVALID_ROW: not valid JSON: " in result.stderr
    assert "line 4: INVALID_FIELD: Invalid request body (name: Required when no customer matches" in result.stderr
    assert "line 5: INVALID_ROW: a JSON array where an object was expected" in result.stderr
    failed = (tmp_path / "users.failures.jsonl").read_text(encoding="utf-8").splitlines()
    assert failed[0] == lines[1]  # not an object: kept as it was, to be fixed
    assert json.loads(failed[1]) == {
        "email": "dana@example.com",
        "phone": None,
        "ching_error": "INVALID_FIELD: Invalid request body "
        "(name: Required when no customer matches and one is created)",
    }
    assert failed[2] == lines[4]
    customers = by_email(ching)
    assert sorted(customers) == ["avi@example.com", "tal@example.com"]
    assert customers["tal@example.com"].metadata == {"plan": "pro"}
    assert customers["avi@example.com"].tax_id == "123456782"


def test_a_json_line_with_a_broken_escape_is_a_failed_row_written_to_the_failures_file(
    server: FakeServer, ching: Ching, tmp_path: Path
) -> None:
    # "\ud800" is valid JSON, but Python reads it as a lone surrogate, which no request can carry.
    lines = [
        '{"name": "Tal", "email": "tal@example.com"}',
        '{"name": "B\\ud800d", "email": "bad@example.com", "metadata": {"plan": "\\udcff"}}',
        '{"name": "Noa", "email": "noa@example.com"}',
    ]
    result = sync_lines(server, tmp_path, "users.jsonl", lines)

    assert result.returncode == 1, result.stderr
    assert "Synced users.jsonl: 3 rows in " in result.stdout
    assert "2 created, 0 updated, 1 failed." in result.stdout
    assert "line 2: INVALID_ROW: name: has a lone surrogate (U+D800) at index 1" in result.stderr
    failed = (tmp_path / "users.failures.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(failed) == 1
    # Written back with the same escapes, so the line reads as it did: fix it there and run it again.
    written = json.loads(failed[0])
    assert written.pop("ching_error").startswith("INVALID_ROW: name: has a lone surrogate (U+D800) at index 1")
    assert written == json.loads(lines[1])
    assert sorted(by_email(ching)) == ["noa@example.com", "tal@example.com"]


def test_a_json_line_nested_100000_deep_stops_the_command_in_one_line_before_anything_is_sent(
    server: FakeServer, tmp_path: Path
) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    lines = ['{"name": "Tal", "email": "tal@example.com"}', '{"name": "Deep", "metadata": {"a": ' + deep + "}}"]
    (tmp_path / "users.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = sync(server, tmp_path, "users.jsonl", "--identify-by", "email")  # no traceback, checked there

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "python -m ching_client customers sync: error: users.jsonl, line 2: JSON nested too deeply to read; "
        "a row is one object of customer fields, with metadata one level down.\n"
    )
    assert server.fake.counts(DEFAULT_TEST_KEY).customers == 0


def _columns() -> str:
    """The columns the spec's upsert request gives, as the CLI lists them: snake_case, then Ching's camelCase."""
    wire = shipped_api().properties({"$ref": "#/components/schemas/CustomerUpsertRequest"})
    fields = [name for name in wire if name not in ("identifyBy", "metadata")]  # the flag, and metadata.<key>
    snake = [re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower() for name in fields]
    return ", ".join([*snake, *(name for name in fields if name not in snake)])


@pytest.mark.parametrize(
    ("header", "message"),
    [
        (
            "name,email,plan",
            f"unknown column 'plan'. The columns may be {_columns()}, metadata.<key>, and ching_error (ignored).",
        ),
        ("name,phone", "has no email column, which --identify-by email needs"),
        ("name,email,tax_id,taxId", "names tax_id more than once"),
    ],
)
def test_a_bad_header_stops_the_command_before_anything_is_sent(
    server: FakeServer, tmp_path: Path, header: str, message: str
) -> None:
    (tmp_path / "users.csv").write_text(f"{header}\nTal,tal@example.com,x,y\n", encoding="utf-8")

    result = sync(server, tmp_path, "users.csv", "--identify-by", "email")

    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert len(server.fake.requests) == 0
    assert not (tmp_path / "users.failures.csv").exists()


def test_an_empty_file_is_an_input_error(server: FakeServer, tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text("\n", encoding="utf-8")

    result = sync(server, tmp_path, "users.csv", "--identify-by", "email")

    assert result.returncode == 2
    assert "users.csv is empty: its first line must name the columns" in result.stderr
    assert len(server.fake.requests) == 0


def test_without_an_api_key_nothing_is_sent(server: FakeServer, tmp_path: Path) -> None:
    (tmp_path / "users.csv").write_text(USERS_CSV, encoding="utf-8")

    result = sync(server, tmp_path, "users.csv", "--identify-by", "email", key=None)

    assert result.returncode == 2
    assert "CHING_API_KEY is not set" in result.stderr
    assert len(server.fake.requests) == 0


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("sk_test_RevokedOrMistypedKey1234", "401 NO_ACCESS"),
        ("sk_test_with space", "contains whitespace or characters Ching keys never have"),
    ],
)
def test_a_key_ching_refuses_stops_the_batch_without_showing_the_key(
    server: FakeServer, tmp_path: Path, key: str, message: str
) -> None:
    (tmp_path / "users.csv").write_text(USERS_CSV, encoding="utf-8")

    result = sync(server, tmp_path, "users.csv", "--identify-by", "email", key=key)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Synced" not in result.stdout
    assert server.fake.counts(DEFAULT_TEST_KEY).customers == 0
    assert not (tmp_path / "users.failures.csv").exists()


def test_usage_errors_exit_2_and_help_explains_the_command(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "users.txt").write_text(USERS_CSV, encoding="utf-8")

    assert cli.main(["customers", "sync", str(tmp_path / "users.txt"), "--identify-by", "email"]) == 2
    assert "pass --format csv or --format jsonl" in capsys.readouterr().err
    assert cli.main(["customers", "sync", "users.csv", "--identify-by", "email", "--concurrency", "101"]) == 2
    assert "--concurrency: must be from 1 to 100, got 101" in capsys.readouterr().err
    assert cli.main(["customers", "sync", "users.csv", "--identify-by", "name"]) == 2
    assert cli.main(["customers", "sync", str(tmp_path / "missing.csv"), "--identify-by", "email"]) == 2
    assert "missing.csv: no such file." in capsys.readouterr().err
    users = str(tmp_path / "users.txt")
    assert cli.main(["customers", "sync", users, "--format", "csv", "--identify-by", "email", "--failures", users]) == 2
    assert "is FILE itself; choose another path" in capsys.readouterr().err
    assert cli.main(["customers", "sync", "--help"]) == 0
    assert "CHING_API_KEY environment variable" in capsys.readouterr().out


def in_process(server: FakeServer, monkeypatch: pytest.MonkeyPatch, path: Path, *args: str) -> int:
    """Run the command line in this process (to patch the clock-free bits it reads)."""
    monkeypatch.setenv("CHING_API_KEY", DEFAULT_TEST_KEY)
    return cli.main(["customers", "sync", str(path), "--identify-by", "email", "--base-url", server.base_url, *args])


@pytest.mark.parametrize("count", [3, 500], ids=["short file", "long file"])
def test_a_base_url_where_nothing_answers_ends_the_run_with_exit_2_whatever_the_files_length(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, count: int
) -> None:
    rows = "".join(f"Customer {n},c{n}@example.com\n" for n in range(count))
    (tmp_path / "users.csv").write_text("name,email\n" + rows, encoding="utf-8")
    monkeypatch.setenv("CHING_API_KEY", DEFAULT_TEST_KEY)
    nowhere = "http://127.0.0.1:9/ching"  # the discard port: nothing listens, the connection is refused

    argv = ["customers", "sync", str(tmp_path / "users.csv"), "--identify-by", "email", "--base-url", nowhere]
    status = cli.main(argv)

    out, err = capsys.readouterr()
    assert status == 2
    assert "Check the network and the base URL (http://127.0.0.1:9/ching)" in err
    assert "safe to run again" in err
    assert "Synced" not in out
    assert not (tmp_path / "users.failures.csv").exists()


def test_off_a_terminal_progress_is_plain_lines(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    rows = "".join(f"Customer {n},c{n}@example.com\n" for n in range(4))
    (tmp_path / "users.csv").write_text("name,email\n" + rows, encoding="utf-8")
    monkeypatch.setattr(cli, "PLAIN_INTERVAL", 0.0)  # a line after every row

    assert in_process(server, monkeypatch, tmp_path / "users.csv", "--concurrency", "1") == 0

    out, err = capsys.readouterr()
    assert "4 rows in" in out
    lines = [line for line in err.splitlines() if " rows/s, " in line]
    assert [line.split(" rows/s")[0].split(", ")[0] for line in lines] == [
        "1/4 rows (25%)",
        "2/4 rows (50%)",
        "3/4 rows (75%)",
        "4/4 rows (100%)",
    ]
    assert lines[0].endswith(" left")
    assert "\r" not in err


def test_a_short_clean_run_prints_no_progress_and_leaves_an_old_failures_file_alone(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "users.csv").write_text("name,email\nTal,tal@example.com\n", encoding="utf-8")
    (tmp_path / "users.failures.csv").write_text("from an earlier run\n", encoding="utf-8")

    assert in_process(server, monkeypatch, tmp_path / "users.csv") == 0

    out, err = capsys.readouterr()
    assert " rows/s" not in err
    assert "failures" not in out + err
    assert (tmp_path / "users.failures.csv").read_text(encoding="utf-8") == "from an earlier run\n"


class _Terminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_on_a_terminal_progress_is_a_tqdm_bar_with_the_counts(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "users.csv").write_text("name,email\nTal,tal@example.com\nNoa,\n", encoding="utf-8")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)

    assert in_process(server, monkeypatch, tmp_path / "users.csv") == 1

    shown = terminal.getvalue()
    assert "\r" in shown
    assert "2/2 [" in shown
    assert "rows/s, created=1, updated=0, failed=1]" in shown


def test_on_a_terminal_without_tqdm_progress_falls_back_to_lines_with_a_hint(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "users.csv").write_text("name,email\nTal,tal@example.com\n", encoding="utf-8")
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm raises ImportError
    monkeypatch.setattr(cli, "PLAIN_INTERVAL", 0.0)

    assert in_process(server, monkeypatch, tmp_path / "users.csv") == 0

    shown = terminal.getvalue()
    assert "(pip install tqdm, or ching-client's cli extra, for a progress bar)" in shown
    assert "1/1 rows (100%)" in shown
    assert "\r" not in shown


@pytest.mark.parametrize(("columns", "bar"), [(0, False), (100, True)], ids=["0 columns", "100 columns"])
def test_on_a_terminal_that_reports_no_width_progress_is_plain_lines(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, columns: int, bar: bool
) -> None:
    (tmp_path / "users.csv").write_text("name,email\nTal,tal@example.com\nNoa,noa@example.com\n", encoding="utf-8")
    controller, terminal = pty.openpty()  # a new pseudo-terminal is 0 columns wide until someone sizes it
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    monkeypatch.setattr(cli, "PLAIN_INTERVAL", 0.0)
    shown = b""
    with os.fdopen(terminal, "w") as stderr:
        monkeypatch.setattr(sys, "stderr", stderr)
        assert in_process(server, monkeypatch, tmp_path / "users.csv") == 0
        stderr.flush()
        while select.select([controller], [], [], 0)[0]:  # read while the terminal is open (after: EIO)
            shown += os.read(controller, 65536)
    os.close(controller)
    text = shown.decode()
    assert ("2/2 rows (100%)" in text) is not bar  # plain lines
    assert ("2/2 [" in text) is bar  # tqdm's bar


def test_ctrl_c_says_how_far_it_got_and_that_running_again_is_safe(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "users.csv").write_text(USERS_CSV, encoding="utf-8")

    async def interrupted(plan: cli.Plan, run: cli.Run) -> Any:
        run.total = 5
        run.update(UpsertProgress(processed=2, created=1, updated=0, failed=1, elapsed=1.0))
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "upsert", interrupted)

    assert in_process(server, monkeypatch, tmp_path / "users.csv", "--concurrency", "4") == 130

    out, err = capsys.readouterr()
    assert out == ""
    assert "Interrupted after 2 of 5 rows (1 created, 0 updated, 1 failed)" in err
    assert "safe to repeat" in err
    assert f"--identify-by email --concurrency 4 --base-url {server.base_url}" in err
    assert not (tmp_path / "users.failures.csv").exists()


def test_ctrl_c_during_the_batch_writes_the_failures_seen_so_far(
    server: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "users.csv").write_text(USERS_CSV, encoding="utf-8")
    shown = cli.Run.update

    def ctrl_c_after_four_rows(run: cli.Run, progress: UpsertProgress) -> None:
        shown(run, progress)
        if progress.processed == 4:
            signal.raise_signal(signal.SIGINT)  # Ctrl-C, while the fifth row waits

    monkeypatch.setattr(cli.Run, "update", ctrl_c_after_four_rows)
    # As in a terminal: a test run started in the background (`make test &`) inherits SIGINT ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        assert in_process(server, monkeypatch, tmp_path / "users.csv", "--concurrency", "1") == 130
    finally:
        signal.signal(signal.SIGINT, previous)

    out, err = capsys.readouterr()
    assert out == ""
    assert "Interrupted after 4 of 5 rows (2 created, 1 updated, 1 failed)." in err
    assert "Up to 1 row more had been sent and may have been applied." in err
    why = "INVALID_FIELD: Invalid request body (email: Required when identifyBy is 'email')"
    assert f"  line 5: {why}" in err
    assert f"1 row written to {tmp_path / 'users.failures.csv'}" in err
    with (tmp_path / "users.failures.csv").open(encoding="utf-8", newline="") as file:
        assert list(csv.reader(file)) == [
            ["name", "email", "phone", "metadata.plan", "ching_error"],
            ["Dana Katz", "", "", "basic", why],
        ]
    assert "to finish, run the same command" in err


def test_csv_rows_are_numbered_by_the_line_they_start_on(tmp_path: Path) -> None:
    text = 'name,email,ching_error\n\n"Tal\nLevi",tal@example.com,old\n,,\nNoa,noa@example.com,,extra\n'
    (tmp_path / "users.csv").write_bytes(b"\xef\xbb\xbf" + text.encode())

    rows = list(cli.CsvSource(tmp_path / "users.csv", "email").rows())

    assert isinstance(rows[0], cli.SourceRow)
    assert (rows[0].line, dict(rows[0])) == (3, {"name": "Tal\nLevi", "email": "tal@example.com"})
    assert isinstance(rows[1], cli.BadLine)
    assert (rows[1].line, rows[1].reason) == (6, "4 cells but the header names 3 columns (extra: 'extra')")
    assert cli.CsvSource(tmp_path / "users.csv", "email").count() == 2


def test_a_csv_with_another_separator_is_refused_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("CHING_API_KEY", DEFAULT_TEST_KEY)
    (tmp_path / "users.csv").write_text("name;email\nAvi;avi@example.com\n", encoding="utf-8")
    assert cli.main(["customers", "sync", str(tmp_path / "users.csv"), "--identify-by", "email"]) == 2
    assert "separate columns with semicolons: use commas" in capsys.readouterr().err
