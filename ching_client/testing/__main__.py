"""Command line: `python -m ching_client.testing --port 12111 [--db PATH]` serves a fake Ching until stopped.

stdout gets one line, the base URL, so a script can read it; everything else (the banner with the
key to use, uvicorn's logs, errors) goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import shlex
import signal
import sys
from collections.abc import Sequence

from ching_client import ChingError

from ._keys import DEFAULT_TEST_KEY

PROG = "python -m ching_client.testing"


def _parser(prog: str) -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a local fake of the Ching API until stopped (Ctrl-C). Prints the base URL on stdout, "
        "one line; then, on stderr, the key to use and an export line to copy, followed by the logs.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=12111, help="port to bind; 0 picks a free one (default 12111)")
    parser.add_argument("--db", help="SQLite file to keep data in across restarts (default: in memory)")
    parser.add_argument("--seed", type=int, help="seed for ids and probabilistic faults (reproducible runs)")
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="JSON",
        help='fault rule, repeatable, e.g. \'{"kind": "status", "status": 503, "probability": 0.1}\'',
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn log level; info and debug log every request to stderr (default info)",
    )
    return parser


def _exit_on_signal(signum: int, frame: object) -> None:
    """Turn SIGTERM into a normal exit so the database is closed."""
    raise SystemExit(0)


def banner(base_url: str, db: str | None) -> str:
    """What a person starting the server needs: where it is, which key it takes, and a line to copy."""
    data = f"data in {db}" if db else "data in memory"
    export = f"export CHING_BASE_URL={shlex.quote(base_url)} CHING_API_KEY={DEFAULT_TEST_KEY}"
    return (
        f"Local Ching serving at {base_url} ({data}); Ctrl-C stops it.\n"
        "It takes any well-formed key (ck_test_ or ck_live_ and 64 hex characters), each its own project;\n"
        "ching_client.testing.DEFAULT_TEST_KEY is the one below. To point the SDK at it, run in your shell:\n"
        f"  {export}\n"
        f"The spec it serves: {base_url}/_fake/openapi.json; POST {base_url}/_fake/reset empties it.\n"
    )


def _error(message: str, prog: str = PROG) -> int:
    """Report a problem that stops the server from starting, in one line, and return exit status 2."""
    sys.stderr.write(f"{prog}: error: {message}\n")
    return 2


def _why_not(exc: Exception, args: argparse.Namespace) -> str:
    """Why the server cannot start: a missing extra, a port it cannot listen on, or a bad --fault."""
    if isinstance(exc, ChingError):
        return exc.message
    if isinstance(exc, OSError):
        reason = exc.strerror or str(exc)
        return f"cannot listen on {args.host}:{args.port}: {reason}; use another --port (0 picks a free one)."
    return f"invalid --fault: {exc}"


def main(argv: Sequence[str] | None = None, prog: str = PROG) -> int:
    """Parse arguments, bind, print the base URL on stdout and the banner on stderr, and serve until interrupted.

    ``prog`` names the command in messages (the one-file build passes its own).
    """
    args = _parser(prog).parse_args(argv)
    from ._server import base_url_for, bind_socket, make_uvicorn_server, open_fake

    try:
        fake = open_fake(args.db, seed=args.seed)
    except ChingError as exc:  # an extra is missing: say which, and how to install it
        return _error(exc.message, prog)
    try:
        for rule in args.fault:
            fake.faults.add_from_dict(json.loads(rule))
        server = make_uvicorn_server(fake, log_level=args.log_level)
        sock = bind_socket(args.host, args.port)
    except (ValueError, ChingError, OSError) as exc:
        fake.close()
        return _error(_why_not(exc, args), prog)
    signal.signal(signal.SIGTERM, _exit_on_signal)  # uvicorn re-raises the signal after its graceful shutdown
    try:
        base_url = base_url_for(sock)
        sys.stdout.write(base_url + "\n")
        sys.stdout.flush()
        sys.stderr.write(banner(base_url, args.db))
        sys.stderr.flush()
        server.run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # Ctrl-C: uvicorn already shut down gracefully
    finally:
        sock.close()
        fake.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
