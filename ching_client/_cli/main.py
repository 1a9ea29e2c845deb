"""The command line: ``python -m ching_client customers sync FILE --identify-by email``.

Upserts one customer per row of a CSV or JSON Lines file with ``AsyncChing.customers.upsert_many``,
shows progress on stderr, prints a summary on stdout and writes the rows that failed to a file in
the input's format, ready to be fixed and run again. Imported only by ``ching_client.__main__``.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import csv
import json
import os
import shlex
import sys
import tempfile
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Final, Literal, Protocol, cast

import anyio
from attrs import field, frozen

from .._bulk.batch import (
    MAX_CONCURRENCY,
    ROW_FIELDS,
    RowFailure,
    UpsertProgress,
    UpsertReport,
    field_name,
    outcome_counts,
)
from .._bulk.batch import rows as count_rows
from .._core.config import DEFAULT_BASE_URL
from .._exceptions import ChingError

if TYPE_CHECKING:
    from tqdm import tqdm

    from .._generated.models.customer_upsert_request_identify_by import CustomerUpsertRequestIdentifyBy

PROG: Final = "python -m ching_client"
SYNC_PROG: Final = f"{PROG} customers sync"
EXIT_OK: Final = 0
EXIT_ROWS_FAILED: Final = 1
EXIT_USAGE: Final = 2
EXIT_INTERRUPTED: Final = 130
DEFAULT_CONCURRENCY: Final = 16
IDENTIFY_BY_CHOICES: Final = ("email", "taxId", "phone")
ERROR_COLUMN: Final = "ching_error"
"""The column (CSV) or key (JSON Lines) the failures file adds; ignored on input, so it can be re-run as is."""
METADATA_PREFIX: Final = "metadata."
SHOWN_FAILURES: Final = 5
"""How many failed rows are described on stderr; the failures file has them all."""
PLAIN_INTERVAL = 5.0
"""Seconds between progress lines when stderr is not a terminal (none for shorter runs)."""
POSTFIX_INTERVAL = 0.25
"""Seconds between updates of the progress bar's created/updated/failed counts."""

Format = Literal["csv", "jsonl"]
_EXTENSIONS: Final[Mapping[str, Format]] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_FIELD_COLUMNS: Final = tuple(name for name in ROW_FIELDS if name != "metadata")
# Columns are upsert_many's row keys: Python's spelling (tax_id) or Ching's (taxId), both listed in messages.
_SPELLINGS: Final = _FIELD_COLUMNS + tuple(
    head + "".join(part.title() for part in rest) for head, *rest in (n.split("_") for n in _FIELD_COLUMNS) if rest
)


class InputError(Exception):
    """A problem with the command line or the input file: reported in one line, exit status 2."""


# --- the command line ---------------------------------------------------------------------------

_SYNC_DESCRIPTION = """\
Create or update one Ching customer per row of FILE (customers.upsert), matching
existing customers on --identify-by. Running it again is safe: customers it
already synced are updated, never duplicated. The API key is read from the
CHING_API_KEY environment variable only (there is no flag for it, so it stays
out of shell history and process lists).

FILE is CSV or JSON Lines, in UTF-8:
  CSV         a header line, then one customer per row. Columns: name, email,
              phone, locale, tax_id (or taxId), and metadata.<key> columns
              (metadata.plan=pro sends metadata {"plan": "pro"}). Empty cells
              are not sent, so an update keeps what the customer has; rows with
              no values are skipped.
  JSON Lines  one object per line with the same fields, metadata as an object
              of strings; null is not sent; blank lines are skipped.
A ching_error column or key (added by the failures file) is ignored."""

_SYNC_EPILOG = """\
Rows that fail are written to the failures file: FILE's columns or objects plus
ching_error saying why. Fix them there and sync that file as it is.

exit status:
  0    every row was synced
  1    some rows failed (see the failures file)
  2    the command, the configuration or FILE is wrong, or Ching refused the key
       or could not be reached
  130  interrupted; the rows that failed so far are in the failures file
       (running the same command again is safe)

examples:
  python -m ching_client customers sync users.csv --identify-by email
  python -m ching_client customers sync users.jsonl --identify-by taxId"""


def _concurrency(text: str) -> int:
    """Parse --concurrency: a whole number from 1 to MAX_CONCURRENCY."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 1 <= value <= MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_CONCURRENCY}, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: ``customers sync`` is the one command so far."""
    parser = argparse.ArgumentParser(prog=PROG, description="Command-line tools of the Ching Python SDK.")
    groups = parser.add_subparsers(dest="group", metavar="GROUP", required=True)
    customers = groups.add_parser("customers", help="work with customers", description="Work with customers.")
    commands = customers.add_subparsers(dest="command", metavar="COMMAND", required=True)
    sync = commands.add_parser(
        "sync",
        help="create or update customers from a CSV or JSON Lines file",
        description=_SYNC_DESCRIPTION,
        epilog=_SYNC_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_sync_arguments(sync)
    sync.set_defaults(parser=sync)  # usage errors found after parsing show this command's usage
    return parser


def _add_sync_arguments(sync: argparse.ArgumentParser) -> None:
    """The options of ``customers sync``."""
    sync.add_argument("file", metavar="FILE", help="the customers to sync: .csv, .jsonl or .ndjson (see above)")
    sync.add_argument(
        "--identify-by",
        required=True,
        choices=IDENTIFY_BY_CHOICES,
        help="the field that finds an existing customer to update; a row without it fails",
    )
    sync.add_argument(
        "--concurrency",
        type=_concurrency,
        default=DEFAULT_CONCURRENCY,
        metavar="N",
        help=f"requests in flight at once, 1 to {MAX_CONCURRENCY} (default {DEFAULT_CONCURRENCY}); "
        "the batch slows down by itself when Ching answers 429",
    )
    sync.add_argument(
        "--base-url",
        metavar="URL",
        help=f"the Ching API to use (default: $CHING_BASE_URL, else {DEFAULT_BASE_URL})",
    )
    sync.add_argument(
        "--failures",
        metavar="PATH",
        help="where to write the rows that failed (default: next to FILE, "
        "<name>.failures.csv or <name>.failures.jsonl); not written when every row syncs",
    )
    sync.add_argument(
        "--format",
        choices=("csv", "jsonl"),
        help="FILE's format (default: from its extension: .csv is csv; .jsonl and .ndjson are jsonl)",
    )


# --- reading the input --------------------------------------------------------------------------


class SourceRow(Mapping[str, Any]):
    """A row read from FILE: upsert's fields, the line it starts on, and the file's own data for it."""

    __slots__ = ("_fields", "line", "original")

    def __init__(self, fields: dict[str, Any], line: int, original: list[str] | dict[str, Any]) -> None:
        self._fields = fields
        self.line = line
        self.original = original
        """The CSV cells or the JSON object as read, written back to the failures file if the row fails."""

    def __getitem__(self, key: str) -> Any:
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"SourceRow(line={self.line}, fields={self._fields!r})"


@frozen
class BadLine:
    """A record that is not a row (bad JSON, too many cells); upsert_many reports it as INVALID_ROW."""

    line: int
    original: list[str] | bytes
    """The CSV cells, or the JSON Lines line's bytes, as read."""
    reason: str


def _where(failure: RowFailure) -> str:
    """Where a failed row is in FILE: its line number."""
    line = getattr(failure.row, "line", None)
    return f"line {line}" if isinstance(line, int) else f"row {failure.index + 1}"


def describe(failure: RowFailure) -> str:
    """Why a row failed, in one line: ``INVALID_FIELD: Invalid request body (email: Required)``."""
    if isinstance(failure.row, BadLine):
        return f"{failure.code}: {failure.row.reason}"
    text = f"{failure.code}: {failure.message}"
    issues = "; ".join(_issue_text(issue) for issue in failure.issues)
    text = f"{text} ({issues})" if issues else text
    return f"OUTCOME UNKNOWN, may have been applied; {text}" if failure.maybe_applied else text


def _issue_text(issue: Mapping[str, Any]) -> str:
    """One validation issue: ``metadata.plan: Expected string``."""
    path = ".".join(str(part) for part in issue.get("path") or ())
    message = str(issue.get("message", "invalid"))
    return f"{path}: {message}" if path else message


def _decode_error(path: Path) -> InputError:
    """The error for a file that is not UTF-8."""
    return InputError(f"{path} is not UTF-8 text; save it as UTF-8 (in Excel: 'CSV UTF-8').")


class CsvSource:
    """A CSV file: a header line naming upsert fields, then one customer per row."""

    format: Final = "csv"

    def __init__(self, path: Path, identify_by: str) -> None:
        self.path = path
        with path.open("rb") as file:
            self._bom = file.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
        self.header = self._read_header()
        _check_columns(path, self.header, identify_by)

    def _records(self) -> Generator[tuple[int, list[str]]]:
        """(first line, cells) of every record with a value, the header included."""
        with self.path.open(newline="", encoding="utf-8-sig") as file:
            reader = csv.reader(file)
            previous = 0
            try:
                for cells in reader:
                    start, previous = previous + 1, reader.line_num
                    if any(cells):
                        yield start, cells
            except csv.Error as error:
                raise InputError(f"{self.path}, line {reader.line_num}: {error}.") from None
            except UnicodeDecodeError:
                raise _decode_error(self.path) from None

    def _read_header(self) -> list[str]:
        """The column names, from the first line with a value."""
        records = self._records()
        try:
            for _, header in records:
                return header
        finally:
            records.close()
        raise InputError(f"{self.path} is empty: its first line must name the columns, for example name,email.")

    def count(self) -> int:
        """How many rows there are (a streaming pass that also finds bad UTF-8 or CSV before anything is sent)."""
        return sum(1 for _ in self._records()) - 1

    def rows(self) -> Generator[SourceRow | BadLine]:
        """The rows, read lazily."""
        records = self._records()
        next(records)  # the header
        for line, cells in records:
            yield self._row(line, cells)

    def _row(self, line: int, cells: list[str]) -> SourceRow | BadLine:
        if len(cells) > len(self.header):
            extra = ", ".join(repr(cell) for cell in cells[len(self.header) :])
            reason = f"{len(cells)} cells but the header names {len(self.header)} columns (extra: {extra})"
            return BadLine(line, cells, reason)
        fields: dict[str, Any] = {}
        metadata: dict[str, str] = {}
        for column, cell in zip(self.header, cells, strict=False):
            if not cell or column == ERROR_COLUMN:
                continue
            if column.startswith(METADATA_PREFIX):
                metadata[column.removeprefix(METADATA_PREFIX)] = cell
            else:
                fields[column] = cell
        if metadata:
            fields["metadata"] = metadata
        return SourceRow(fields, line, cells)

    def write_failures(self, failures: Sequence[RowFailure], target: Path) -> None:
        """Write the failed rows as CSV: FILE's columns (its cells as read) plus ``ching_error``."""
        keep = [i for i, column in enumerate(self.header) if column != ERROR_COLUMN]

        def write(temporary: Path) -> None:
            with temporary.open("w", newline="", encoding="utf-8-sig" if self._bom else "utf-8") as file:
                writer = csv.writer(file)
                writer.writerow([self.header[i] for i in keep] + [ERROR_COLUMN])
                for failure in failures:
                    cells = _cells(failure.row)
                    writer.writerow([cells[i] if i < len(cells) else "" for i in keep] + [describe(failure)])

        _write_atomically(target, write)


def _cells(row: object) -> list[str]:
    """The CSV cells of a row this source produced."""
    original = row.original if isinstance(row, (SourceRow, BadLine)) else None
    return original if isinstance(original, list) else []


_SEPARATORS: Final = ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars"))


def _check_columns(path: Path, header: list[str], identify_by: str) -> None:
    """Refuse a header with unknown, unnamed or repeated columns, or without the --identify-by column."""
    unknown = [column for column in header if not _known_column(column)]
    if unknown:
        allowed = ", ".join(_SPELLINGS) + ", metadata.<key>, and ching_error (ignored)"
        names = ", ".join(repr(column) for column in unknown)
        noun = "column" if len(unknown) == 1 else "columns"
        hint = next(
            (
                f" The file seems to separate columns with {name}: use commas."
                for sep, name in _SEPARATORS
                if len(header) == 1 and sep in header[0]
            ),
            "",
        )
        raise InputError(f"{path}: unknown {noun} {names}. The columns may be {allowed}.{hint}")
    fields = [field_name(column) for column in header]
    repeated = sorted({field for field in fields if fields.count(field) > 1})
    if repeated:
        raise InputError(f"{path}: the header names {', '.join(repeated)} more than once (tax_id and taxId are one).")
    needed = field_name(identify_by)
    if needed not in fields:
        spelled = needed if needed == identify_by else f"{needed} or {identify_by}"
        raise InputError(f"{path} has no {spelled} column, which --identify-by {identify_by} needs in every row.")


def _known_column(column: str) -> bool:
    """True for the columns a CSV may have."""
    if column.startswith(METADATA_PREFIX):
        return len(column) > len(METADATA_PREFIX)
    return field_name(column) in _FIELD_COLUMNS or column == ERROR_COLUMN


_BRACKETS_TO_CHECK: Final = 100
"""A JSON Lines line with more brackets than this is parsed while counting, to refuse one nested too deeply."""


class JsonLinesSource:
    """A JSON Lines file: one customer object per line."""

    format: Final = "jsonl"

    def __init__(self, path: Path) -> None:
        self.path = path

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        """(number, content) of every line that is not blank."""
        with self.path.open("rb") as file:
            for number, raw in enumerate(file, 1):
                if raw.strip():
                    yield number, raw.rstrip(b"\r\n")

    def count(self) -> int:
        """How many rows there are (a streaming pass that also refuses a line nested too deeply to read).

        Only a line with many brackets can be nested deeply, so only such a line is parsed here.
        """
        count = 0
        for number, raw in self._lines():
            count += 1
            if raw.count(b"[") + raw.count(b"{") > _BRACKETS_TO_CHECK:
                self._row(number, raw)
        return count

    def rows(self) -> Generator[SourceRow | BadLine]:
        """The rows, read lazily; a line that is not a JSON object becomes a ``BadLine``."""
        for number, raw in self._lines():
            yield self._row(number, raw)

    def _row(self, number: int, raw: bytes) -> SourceRow | BadLine:
        try:
            value = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
        except UnicodeDecodeError:
            return BadLine(number, raw, "not UTF-8 text")
        except json.JSONDecodeError as error:
            return BadLine(number, raw, f"not valid JSON: {error.msg} (column {error.colno})")
        except RecursionError:  # Python's parser gives up (about 1,000 levels): no customer looks like that
            raise InputError(
                f"{self.path}, line {number}: JSON nested too deeply to read; a row is one object of "
                "customer fields, with metadata one level down."
            ) from None
        if not isinstance(value, dict):
            return BadLine(number, raw, f"a JSON {_json_kind(value)} where an object was expected")
        fields = {key: item for key, item in value.items() if key != ERROR_COLUMN}
        return SourceRow(fields, number, value)

    def write_failures(self, failures: Sequence[RowFailure], target: Path) -> None:
        """Write the failed rows as JSON Lines: each object plus ``ching_error`` (a bad line as it was)."""

        def write(temporary: Path) -> None:
            with temporary.open("wb") as file:
                for failure in failures:
                    file.write(_failed_line(failure) + b"\n")

        _write_atomically(target, write)


def _failed_line(failure: RowFailure) -> bytes:
    """One line of the JSON Lines failures file."""
    row = failure.row
    if isinstance(row, BadLine) and isinstance(row.original, bytes):
        return row.original  # not an object to add ching_error to: kept as it was, to be fixed
    original = row.original if isinstance(row, SourceRow) and isinstance(row.original, dict) else {}
    record = {key: value for key, value in original.items() if key != ERROR_COLUMN}
    record[ERROR_COLUMN] = describe(failure)
    try:
        return json.dumps(record, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        # Text UTF-8 cannot carry (a lone surrogate, which the input's own \u escape made): as escapes, as it came.
        return json.dumps(record).encode()


def _json_kind(value: object) -> str:
    """How JSON names a value's type."""
    kinds: list[tuple[type | tuple[type, ...], str]] = [
        (list, "array"),
        (str, "string"),
        (bool, "boolean"),
        ((int, float), "number"),
    ]
    return next((name for kind, name in kinds if isinstance(value, kind)), "null")


Source = CsvSource | JsonLinesSource


def _write_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Write ``target`` through a temporary file beside it, so a crash never leaves half a file."""
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(descriptor)
    temporary = Path(name)
    try:
        write(temporary)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


# --- progress -----------------------------------------------------------------------------------


class Display(Protocol):
    """Shows a running batch's progress on stderr."""

    def update(self, progress: UpsertProgress) -> None: ...

    def close(self) -> None: ...


class _NoDisplay:
    """For a file with no rows."""

    def update(self, progress: UpsertProgress) -> None:
        """Show nothing."""

    def close(self) -> None:
        """Nothing to close."""


class PlainDisplay:
    """Progress lines for logs and pipes: one every ``PLAIN_INTERVAL`` seconds, none for a shorter run."""

    def __init__(self, total: int, stream: IO[str]) -> None:
        self._total = total
        self._stream = stream
        self._interval = PLAIN_INTERVAL
        self._next_at = self._interval

    def update(self, progress: UpsertProgress) -> None:
        """Write a line if the interval has passed."""
        if progress.elapsed < self._next_at:
            return
        self._next_at = progress.elapsed + self._interval
        self._stream.write(progress_line(progress, self._total) + "\n")
        self._stream.flush()

    def close(self) -> None:
        """The summary follows on stdout: nothing to add."""


class BarDisplay:
    """A tqdm progress bar (rate, ETA, and the created/updated/failed counts) for a terminal."""

    def __init__(self, total: int, stream: IO[str], bar_class: type[tqdm[Any]]) -> None:
        self._bar = bar_class(total=total, unit="rows", file=stream, dynamic_ncols=True, smoothing=0.05)
        self._postfix_at = 0.0
        self._last: UpsertProgress | None = None

    def update(self, progress: UpsertProgress) -> None:
        """Advance the bar; refresh the counts a few times a second at most."""
        self._last = progress
        if progress.elapsed >= self._postfix_at:
            self._postfix_at = progress.elapsed + POSTFIX_INTERVAL
            self._set_counts(progress)
        self._bar.update(progress.processed - self._bar.n)

    def _set_counts(self, progress: UpsertProgress) -> None:
        # Strings, as tqdm would show 20000 as 2e+4; a dict keeps this order (keywords would be sorted).
        counts = {
            "created": f"{progress.created:,}",
            "updated": f"{progress.updated:,}",
            "failed": f"{progress.failed:,}",
        }
        self._bar.set_postfix(counts, refresh=False)

    def close(self) -> None:
        """Draw the final counts and leave the bar on the screen."""
        if self._last is not None:
            self._set_counts(self._last)
        self._bar.close()


def progress_line(progress: UpsertProgress, total: int) -> str:
    """``12,000/100,000 rows (12%), 1,580 rows/s, 3 failed, about 55 s left``."""
    percent = progress.processed * 100 // total if total else 100
    line = (
        f"{progress.processed:,}/{total:,} rows ({percent}%), {progress.rate:,.0f} rows/s, {progress.failed:,} failed"
    )
    left = total - progress.processed
    if left > 0 and progress.rate > 0:
        line += f", about {duration(left / progress.rate)} left"
    return line


def duration(seconds: float) -> str:
    """A rough duration: ``55 s``, ``12 min``, ``2 h 5 min``."""
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    return f"{minutes} min" if minutes < 90 else f"{minutes // 60} h {minutes % 60} min"


def _bar_class() -> type[tqdm[Any]] | None:
    """tqdm's bar, if the ``cli`` extra is installed."""
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm


def _zero_width(stream: IO[str]) -> bool:
    """True for a terminal that reports 0 columns (some CI runners, a pty nobody sized): a bar shows nothing there."""
    try:
        return os.get_terminal_size(stream.fileno()).columns == 0
    except (AttributeError, OSError, ValueError):  # no file descriptor, or not a terminal after all
        return False


def make_display(total: int, stream: IO[str]) -> Display:
    """A bar on a terminal (when tqdm is installed), else plain periodic lines."""
    if not stream.isatty() or _zero_width(stream):
        return PlainDisplay(total, stream) if total else _NoDisplay()
    bar_class = _bar_class()
    if bar_class is None:
        stream.write("(pip install tqdm, or ching-client's cli extra, for a progress bar)\n")
        return PlainDisplay(total, stream)
    return BarDisplay(total, stream, bar_class) if total else _NoDisplay()


# --- running ------------------------------------------------------------------------------------


@frozen
class Plan:
    """A checked ``customers sync`` command, ready to run."""

    source: Source
    file: str
    """FILE as given, for messages."""
    failures: Path
    api_key: str = field(repr=False)  # never in a repr, so never in a traceback that shows locals
    base_url: str | None
    identify_by: CustomerUpsertRequestIdentifyBy
    concurrency: int
    format_given: bool

    def command(self, file: str | os.PathLike[str]) -> str:
        """The command line that syncs ``file`` with this plan's options (never the key)."""
        parts = [*PROG.split(), "customers", "sync", os.fspath(file), "--identify-by", self.identify_by]
        if self.concurrency != DEFAULT_CONCURRENCY:
            parts += ["--concurrency", str(self.concurrency)]
        if self.base_url is not None:
            parts += ["--base-url", self.base_url]
        if self.format_given or _EXTENSIONS.get(Path(file).suffix.lower()) != self.source.format:
            parts += ["--format", self.source.format]
        return shlex.join(parts)


class Run:
    """The state of a running batch: the display, and what an interrupted run reports (progress, failures)."""

    def __init__(self) -> None:
        self.display: Display = _NoDisplay()
        self.progress: UpsertProgress | None = None
        self.total: int | None = None
        self.failures: list[RowFailure] = []
        """The rows that failed so far, in the order they failed."""

    def update(self, progress: UpsertProgress) -> None:
        """``on_progress``: remember and show."""
        self.progress = progress
        if progress.failure is not None:
            self.failures.append(progress.failure)
        self.display.update(progress)


def prepare(args: argparse.Namespace) -> Plan:
    """Check the options, the environment and FILE's header; nothing is sent yet."""
    path = Path(args.file)
    file_format = args.format or _EXTENSIONS.get(path.suffix.lower())
    if file_format is None:
        args.parser.error(
            f"cannot tell the format of {args.file!r} from its extension: pass --format csv or --format jsonl"
        )
    if not path.is_file():
        raise InputError(f"{args.file}: {'is a directory' if path.is_dir() else 'no such file'}.")
    failures = Path(args.failures) if args.failures else path.with_name(f"{path.stem}.failures.{file_format}")
    _check_failures_path(path, failures)
    api_key = _api_key()
    source: Source = CsvSource(path, args.identify_by) if file_format == "csv" else JsonLinesSource(path)
    return Plan(
        source=source,
        file=args.file,
        failures=failures,
        api_key=api_key,
        base_url=args.base_url,
        identify_by=cast("CustomerUpsertRequestIdentifyBy", args.identify_by),
        concurrency=args.concurrency,
        format_given=args.format is not None,
    )


def _check_failures_path(path: Path, failures: Path) -> None:
    """The failures file must go to an existing directory, and not over FILE."""
    if failures.resolve() == path.resolve():
        raise InputError(f"--failures {failures} is FILE itself; choose another path.")
    if failures.is_dir():
        raise InputError(f"--failures {failures} is a directory; give a file path.")
    if not failures.parent.is_dir():
        raise InputError(f"cannot write the failures file {failures}: no directory {failures.parent}.")
    if not os.access(failures.parent, os.W_OK):
        raise InputError(f"cannot write the failures file {failures}: {failures.parent} is not writable.")


def _api_key() -> str:
    """The key, from the environment only."""
    key = os.environ.get("CHING_API_KEY", "")
    if not key.strip():
        raise InputError(
            "CHING_API_KEY is not set. Export your Ching secret key in the environment (test keys start with "
            "ck_test_ or sk_test_); there is no command-line flag for it, so it stays out of shell history."
        )
    return key


async def upsert(plan: Plan, run: Run) -> UpsertReport:
    """Count the rows, then upsert them with ``AsyncChing.customers.upsert_many``."""
    from .._client._async.client import AsyncChing

    async with AsyncChing(api_key=plan.api_key, base_url=plan.base_url) as ching:
        run.total = plan.source.count()
        mode = "live" if ching.livemode else "test"
        _err(
            f"Syncing {count_rows(run.total)} from {plan.file} to {ching.base_url} ({mode} mode), "
            f"identified by {plan.identify_by}, {plan.concurrency} at a time."
        )
        run.display = make_display(run.total, sys.stderr)
        with contextlib.closing(plan.source.rows()) as rows:  # closes FILE at once if the batch stops early
            return await ching.customers.upsert_many(
                rows, identify_by=plan.identify_by, concurrency=plan.concurrency, on_progress=run.update
            )


def finish(plan: Plan, report: UpsertReport) -> int:
    """Print the summary, write the failures file and describe the first failures; return the exit status."""
    _out(f"Synced {plan.file}: {report.summary()}.")
    if report.rate_limited:
        _err(f"Ching answered 429 (rate limited) {report.rate_limited:,} times; the batch slowed down and resent them.")
    if report.ok:
        return EXIT_OK
    _show_failures(report.failures)
    written = _write_failures(plan, report.failures, _out)
    if written:
        _out(f"Fix the rows and run: {plan.command(plan.failures)}")
    return EXIT_ROWS_FAILED


def _write_failures(plan: Plan, failures: Sequence[RowFailure], say: Callable[[str], None]) -> bool:
    """Write the failures file and say where it is; False (with the reason on stderr) if it could not be written."""
    try:
        plan.source.write_failures(failures, plan.failures)
    except OSError as error:
        _err(f"{SYNC_PROG}: error: could not write the failures file {plan.failures}: {error}")
        return False
    column = "column" if plan.source.format == "csv" else "key"
    say(f"{count_rows(len(failures))} written to {plan.failures} (with a {ERROR_COLUMN} {column} saying why).")
    return True


def _show_failures(failures: Sequence[RowFailure]) -> None:
    """Describe the first few failed rows on stderr."""
    shown = failures[:SHOWN_FAILURES]
    _err(f"Failed rows (first {len(shown)} of {len(failures):,}):" if len(shown) < len(failures) else "Failed rows:")
    for failure in shown:
        _err(f"  {_where(failure)}: {describe(failure)}")


def interrupted(plan: Plan, run: Run) -> int:
    """Say how far an interrupted run got, and that running it again is safe."""
    progress = run.progress
    if progress is None:
        _err("Interrupted before any row was synced.")
    else:
        done = (
            count_rows(progress.processed)
            if run.total is None
            else f"{progress.processed:,} of {count_rows(run.total)}"
        )
        _err(f"Interrupted after {done} ({outcome_counts(progress, explained=False)}).")
    if run.total is None or progress is None or progress.processed < run.total:
        # Rows already sent when the batch was stopped are not in the counts: Ching may have applied them.
        _err(f"Up to {count_rows(plan.concurrency)} more had been sent and may have been applied.")
    if run.failures:  # what went wrong so far, so it can be fixed while the rest waits
        failures = sorted(run.failures, key=lambda failure: failure.index)
        _show_failures(failures)
        _write_failures(plan, failures, _err)
    _err("Upsert is safe to repeat (synced customers are updated, never duplicated); to finish, run the same command:")
    _err(f"  {plan.command(plan.file)}")
    return EXIT_INTERRUPTED


def _out(message: str) -> None:
    """A line on stdout."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


def _err(message: str) -> None:
    """A line on stderr."""
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _usage_error(message: str) -> int:
    """Report an error that stops the command before (or instead of) syncing."""
    _err(f"{SYNC_PROG}: error: {message}")
    return EXIT_USAGE


def execute(plan: Plan) -> int:
    """Run a checked plan to its exit status."""
    run = Run()
    try:
        try:
            report = anyio.run(upsert, plan, run)
        finally:
            run.display.close()  # before any message, so it starts on a line of its own
    except KeyboardInterrupt:
        return interrupted(plan, run)
    except ChingError as error:  # the key was refused (401/403), or the configuration is wrong: messages never hold it
        done = f" (after {run.progress.processed:,} rows; safe to run again)" if run.progress else ""
        return _usage_error(f"{error.message}{done}")
    except (InputError, OSError) as error:
        return _usage_error(str(error))
    return finish(plan, report)


def main(argv: Sequence[str] | None = None) -> int:
    """The command line's entry point: parse ``argv`` (default ``sys.argv[1:]``) and return the exit status."""
    parser = build_parser()
    try:
        checked = prepare(parser.parse_args(argv))
    except SystemExit as exit_:  # --help, or a usage error argparse already reported
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE if exit_.code else EXIT_OK
    except (InputError, OSError) as error:
        return _usage_error(str(error))
    try:
        return execute(checked)
    except KeyboardInterrupt:  # between the batch and the summary
        return EXIT_INTERRUPTED
