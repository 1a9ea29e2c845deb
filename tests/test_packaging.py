"""What users install: the wheel's long description, license, typing marker, extras and pytest plugin."""

from __future__ import annotations

import configparser
import re
import subprocess
import sys
import zipfile
from email.message import Message
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel `pip wheel` builds from this checkout."""
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out)]
    command.append(str(ROOT))
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    (built,) = out.glob("ching_client-*.whl")
    return zipfile.ZipFile(built)


def _dist_info(wheel: zipfile.ZipFile, name: str) -> str:
    (path,) = [n for n in wheel.namelist() if re.fullmatch(rf"ching_client-[^/]+\.dist-info/{name}", n)]
    return wheel.read(path).decode()


def _metadata(wheel: zipfile.ZipFile) -> Message:
    return Parser().parsestr(_dist_info(wheel, "METADATA"))


def test_the_long_description_opens_with_what_the_package_is_and_how_to_install_it(wheel: zipfile.ZipFile) -> None:
    description = str(_metadata(wheel).get_payload())
    assert description.startswith("# ching_client\n\nThe Python SDK for the [Ching]")
    assert re.findall(r"^## (.+)$", description, flags=re.MULTILINE)[0] == "Install"
    assert description.index("pip install") < description.index("make test")


def test_the_wheel_carries_the_license_the_types_and_the_extras(wheel: zipfile.ZipFile) -> None:
    metadata = _metadata(wheel)
    assert metadata["License-Expression"] == "MIT"
    assert _dist_info(wheel, "licenses/LICENSE").startswith("MIT License")
    assert "ching_client/py.typed" in wheel.namelist()
    assert sorted(metadata.get_all("Provides-Extra") or []) == ["cli", "otel", "testing"]


def test_pytest_finds_the_plugin_through_the_wheels_entry_point(wheel: zipfile.ZipFile) -> None:
    entry_points = configparser.ConfigParser()
    entry_points.read_string(_dist_info(wheel, "entry_points.txt"))
    assert dict(entry_points["pytest11"]) == {"ching_client": "ching_client.testing.pytest_plugin"}
    assert "ching_client/testing/pytest_plugin.py" in wheel.namelist()


def _install_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    install = readme.split("## Install", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```bash\n(.*?)```", install, flags=re.DOTALL)
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_installs_from_a_checkout_with_the_extras(tmp_path: Path) -> None:
    """The checkout line, run where it says (inside a checkout), resolves to this project with its extras."""
    (line,) = [line for line in _install_lines() if line.startswith('pip install ".')]
    target = line.removeprefix("pip install ").strip('"')
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*command, "--report", str(report), target], cwd=ROOT, check=True, capture_output=True, timeout=120)
    assert '"name": "ching-client"' in report.read_text(encoding="utf-8")


def test_the_readme_builds_the_wheel_it_then_installs(tmp_path: Path) -> None:
    lines = _install_lines()
    (build,) = [line for line in lines if line.startswith("pip wheel")]
    (install,) = [line for line in lines if ".whl[" in line]
    args = build.removeprefix("pip wheel ").replace("-w dist", f"-w {tmp_path}").split()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-build-isolation", *args],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=120,
    )
    named = re.search(r"dist/(\S+\.whl)\[", install)
    assert named is not None
    # The README names the version as a placeholder, so that it holds whatever version the spec raised it to.
    version = (ROOT / "ching_client" / "_version.py").read_text(encoding="utf-8").split('"')[1]
    assert "<version>" in named.group(1)
    wheel_name = named.group(1).replace("<version>", version)
    assert (tmp_path / wheel_name).is_file(), sorted(p.name for p in tmp_path.iterdir())
