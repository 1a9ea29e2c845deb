"""Command line: `python -m ching_client.testing --port 12111 [--db PATH]` serves a fake Ching until stopped."""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    """The command-line options."""
    parser = argparse.ArgumentParser(
        prog="python -m ching_client.testing",
        description="Serve a local fake of the Ching API. Prints the base URL to use, then serves until stopped.",
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


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, bind, print the base URL on stdout, and serve until interrupted."""
    args = _parser().parse_args(argv)
    from ._server import base_url_for, bind_socket, make_uvicorn_server, open_fake

    fake = open_fake(args.db, seed=args.seed)
    try:
        for rule in args.fault:
            fake.faults.add_from_dict(json.loads(rule))
    except ValueError as exc:
        sys.stderr.write(f"invalid --fault: {exc}\n")
        fake.close()
        return 2
    sock = bind_socket(args.host, args.port)
    signal.signal(signal.SIGTERM, _exit_on_signal)  # uvicorn re-raises the signal after its graceful shutdown
    try:
        sys.stdout.write(base_url_for(sock) + "\n")
        sys.stdout.flush()
        make_uvicorn_server(fake, log_level=args.log_level).run(sockets=[sock])
    except KeyboardInterrupt:
        pass  # Ctrl-C: uvicorn already shut down gracefully
    finally:
        sock.close()
        fake.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
