"""Where a thread is, for tests that must act while the sync batch's threads are at a given point."""

from __future__ import annotations

import sys
import threading
import time
import types

WAIT = 30.0
"""How long a test waits for a thread to get somewhere: far longer than it takes, it only ends a test that never
gets there."""


def running(thread: threading.Thread, code: types.CodeType) -> bool:
    """Whether ``code`` is in ``thread``'s stack now."""
    frame = sys._current_frames().get(thread.ident or -1)
    while frame is not None:
        if frame.f_code is code:
            return True
        frame = frame.f_back
    return False


def wait_until_running(thread: threading.Thread, code: types.CodeType) -> None:
    """Wait until ``thread`` runs ``code``; AssertionError if it does not within ``WAIT``."""
    deadline = time.monotonic() + WAIT
    while not running(thread, code):
        assert time.monotonic() < deadline, f"{thread.name} never ran {code.co_name}"
        time.sleep(0.001)


def batch_threads() -> list[threading.Thread]:
    """The sync batch's worker threads still running."""
    return [thread for thread in threading.enumerate() if thread.name.startswith("ching-upsert-many-")]
