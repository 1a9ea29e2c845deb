"""Run test modules in a pytest session of their own, in a fresh directory, as a user's project would.

The session has no conftest and no plugin options: whatever fixtures it finds come from the
plugins pytest loads by itself, through their entry points, ching_client's among them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

# A user's strict settings: warnings are errors. pytest-asyncio, installed here for the SDK's own
# tests, warns unless its loop scope is set.
PYTEST_INI = "[pytest]\nfilterwarnings = error\nasyncio_default_fixture_loop_scope = function\n"
# Plugins of the SDK's own dev tools that a user's project would not have; importing them costs a second.
UNRELATED_PLUGINS = ("-p", "no:schemathesis", "-p", "no:hypothesispytest")


def run_pytest(directory: Path, modules: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Write ``modules`` (file name -> source) and a pytest.ini to ``directory`` and run pytest there."""
    (directory / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    for name, source in modules.items():
        (directory / name).write_text(source, encoding="utf-8")
    env = {name: value for name, value in os.environ.items() if not name.startswith(("CHING_", "PYTEST_"))}
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *UNRELATED_PLUGINS, *args]
    return subprocess.run(command, cwd=directory, env=env, capture_output=True, text=True, timeout=120, check=False)
