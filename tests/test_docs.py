"""make docs: one site that opens from disk with no network (the README, the guides, the Python API reference
and the HTTP API reference), whose spec page shows every operation and schema in full and says, per operation,
whether it is safe to repeat."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml

import ching_client
import ching_client.testing
from ching_client.testing import FakeChing
from scripts.build_docs import build

ROOT = Path(__file__).resolve().parent.parent
SPEC: dict[str, Any] = yaml.safe_load((ROOT / "openapi" / "ching.yaml").read_text(encoding="utf-8"))
METHODS = ("get", "put", "post", "delete", "patch")
OPERATIONS = [
    (path, method, operation)
    for path, item in SPEC["paths"].items()
    for method, operation in item.items()
    if method in METHODS
]


BLOCKS = {"p", "div", "section", "details", "summary", "h1", "h2", "h3", "h4", "table", "tr", "td", "th", "li", "pre"}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def text(html: str) -> str:
    """The visible text of an HTML fragment, whitespace collapsed."""
    parser = _Text()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


def plain(markdown: str) -> str:
    """A CommonMark description as it reads once rendered: code and emphasis marks dropped."""
    return " ".join(re.sub(r"`|\*\*", "", markdown).split())


def section(html: str, anchor: str) -> str:
    found = re.findall(rf'<section [^>]*\bid="{re.escape(anchor)}"[^>]*>(.*?)</section>', html, re.DOTALL)
    assert len(found) == 1, anchor
    return str(found[0])


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> str:
    return build(tmp_path_factory.mktemp("docs") / "ching-api.html").read_text(encoding="utf-8")


def test_the_reference_loads_nothing_when_opened(html: str) -> None:
    # No script, stylesheet, font, image or frame: nothing to fetch, nothing that could fail offline.
    loaders = r"<(?:script|link|img|iframe|object|embed|video|audio|source)\b|\bsrcset=|\bsrc=|url\(|@import"
    assert re.findall(loaders, html, re.IGNORECASE) == []
    # Every link is to a place on the page, and that place exists.
    targets = re.findall(r"""\bhref=["']([^"']*)["']""", html)
    ids = set(re.findall(r"""\bid=["']([^"']+)["']""", html))
    assert targets
    assert [t for t in targets if not t.startswith("#") or t[1:] not in ids] == []


def test_every_operation_is_shown_in_full_with_its_repeat_safety(html: str) -> None:
    # Every operation the spec has, however many: the page is built from the spec, as this list is.
    assert OPERATIONS
    # Nothing is folded: every collapsible part starts open.
    assert re.findall(r"<details(?![^>]*\bopen\b)[^>]*>", html) == []
    for path, method, operation in OPERATIONS:
        fragment = section(html, f"op-{operation['operationId']}")
        shown = text(fragment)
        safe = "yes" if operation["x-ching-safe-to-repeat"] else "no"
        assert f"Safe to repeat: {safe}." in shown, operation["operationId"]
        for fact in (method.upper(), path, operation["operationId"], operation["summary"]):
            assert fact in shown, (operation["operationId"], fact)
        assert plain(operation["description"]) in shown, operation["operationId"]
        statuses = re.findall(r'<span class="status[^"]*">([^<]*)</span>', fragment)
        assert statuses == [str(status) for status in operation["responses"]], operation["operationId"]
        parameters = SPEC["paths"][path].get("parameters", []) + operation.get("parameters", [])
        for parameter in parameters:
            name = parameter["$ref"].rsplit("/", 1)[1] if "$ref" in parameter else parameter["name"]
            resolved = SPEC["components"]["parameters"].get(name, parameter)
            assert plain(resolved["description"]) in shown, (operation["operationId"], name)
        body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        if "$ref" in body:
            schema = SPEC["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
            for name, prop in schema.get("properties", {}).items():
                assert name in shown, (operation["operationId"], name)
                assert plain(prop["description"]) in shown, (operation["operationId"], name)
    # One banner per operation, no more: the counts follow the spec (tests/test_spec.py checks each flag).
    unsafe = sum(not op["x-ching-safe-to-repeat"] for _, _, op in OPERATIONS)
    assert text(html).count("Safe to repeat: no.") == unsafe
    assert text(html).count("Safe to repeat: yes.") == len(OPERATIONS) - unsafe


def test_every_schema_and_property_is_described_on_the_page(html: str) -> None:
    for name, schema in SPEC["components"]["schemas"].items():
        shown = text(section(html, f"schema-{name}"))
        assert plain(schema["description"]) in shown, name
        for prop_name, prop in schema.get("properties", {}).items():
            assert prop_name in shown, (name, prop_name)
            assert plain(prop["description"]) in shown, (name, prop_name)
        for option in schema.get("oneOf", []):
            if "description" in option:
                assert plain(option["description"]) in shown, name


def test_the_page_opens_with_the_api_title_and_version(html: str) -> None:
    assert f"<title>{SPEC['info']['title']} {SPEC['info']['version']} reference</title>" in html
    assert plain(SPEC["info"]["description"]) in text(html)


def test_every_operation_has_a_summary_and_a_description() -> None:
    for path, method, operation in OPERATIONS:
        assert operation.get("summary"), (method, path)
        assert operation.get("description"), (method, path)


# -- the site ---------------------------------------------------------------------------------------------------

# What makes a browser fetch something when a page opens: a source, a stylesheet, script, icon or preload link, a
# CSS import or url(). Links a reader follows (<a href>) fetch nothing by themselves.
SOURCES = re.compile(r"""\b(?:src|srcset|poster|data)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
LINK_TAGS = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
HREF = re.compile(r"""\bhref\s*=\s*["']([^"']*)["']""", re.IGNORECASE)
CSS_LOADS = re.compile(r"""@import\s+(?:url\()?\s*["']?([^"')\s;]+)|url\(\s*["']?([^"')]+)""", re.IGNORECASE)
OUTSIDE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)  # http://, https://, protocol-relative //


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``mkdocs build --strict``, as ``make docs`` runs it, into a fresh directory: a warning fails it."""
    out = tmp_path_factory.mktemp("site")
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "--site-dir", str(out)]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


STYLES = re.compile(r"""<style\b[^>]*>(.*?)</style>|\bstyle\s*=\s*"([^"]*)\"""", re.IGNORECASE | re.DOTALL)


def loaded_by(path: Path) -> list[str]:
    """What a page or stylesheet makes the browser fetch."""
    content = path.read_text(encoding="utf-8")
    if path.suffix != ".html":
        return [url for group in CSS_LOADS.findall(content) for url in group if url]
    styles = "\n".join(part for match in STYLES.findall(content) for part in match)
    found = [url for group in CSS_LOADS.findall(styles) for url in group if url]
    found += SOURCES.findall(content)
    found += [href for tag in LINK_TAGS.findall(content) for href in HREF.findall(tag)]
    return found


def test_the_site_loads_nothing_from_outside(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    loaded = {path.relative_to(site).as_posix(): loaded_by(path) for path in [*pages, *site.rglob("*.css")]}
    assert len(pages) >= 10
    assert all(loaded[f"{page.stem}.html"] for page in pages if page.name not in ("ching-api.html", "404.html"))
    assert {name: [url for url in urls if OUTSIDE.match(url.strip())] for name, urls in loaded.items()} == {
        name: [] for name in loaded
    }
    # The theme loads a diagram library from a CDN for a page that has a diagram: none has one.
    assert [page.name for page in pages if 'class="mermaid"' in page.read_text(encoding="utf-8")] == []
    # Search works from disk: its worker runs through the shim kept in the site, and its index is inlined.
    assert (site / "assets" / "javascripts" / "iframe-worker-shim.js").is_file()
    assert (site / "search" / "search_index.js").read_text(encoding="utf-8").startswith("var __index = ")


def test_every_local_thing_a_page_loads_is_in_the_site(site: Path) -> None:
    # 404.html is for a web server, which serves it at any depth: its paths start at the site's root.
    missing = [
        (page.name, url)
        for page in site.glob("*.html")
        if page.name != "404.html"
        for url in loaded_by(page)
        if not url.startswith(("data:", "#")) and not (site / url.split("#")[0].split("?")[0]).is_file()
    ]
    assert missing == []


def test_the_spec_reference_is_in_the_site_and_linked_from_its_navigation(site: Path) -> None:
    page = (site / "ching-api.html").read_text(encoding="utf-8")
    assert f"<title>{SPEC['info']['title']} {SPEC['info']['version']} reference</title>" in page
    for path, method, operation in OPERATIONS:
        assert f'id="op-{operation["operationId"]}"' in page, (method, path)
    assert 'href="index.html"' in page  # and back
    for name in ("index.html", "reference.html", "engines.html"):
        navigation = re.findall(r'<a href="([^"]+)"[^>]*class="md-nav__link"', (site / name).read_text("utf-8"))
        assert "ching-api.html" in navigation, name


def test_the_site_holds_the_readme_the_guides_and_contributing(site: Path) -> None:
    home = text((site / "index.html").read_text(encoding="utf-8"))
    assert "The Python SDK for the Ching payments API" in home
    for guide in (ROOT / "docs").glob("*.md"):
        assert (site / f"{guide.stem}.html").is_file(), guide.name
    assert "The layout" in text((site / "contributing.html").read_text(encoding="utf-8"))
    # The README's links to the guides, written for the repository (docs/engines.md), work in the site.
    assert 'href="engines.html"' in (site / "index.html").read_text(encoding="utf-8")


def test_the_api_reference_documents_every_resource_method_from_its_docstring(site: Path) -> None:
    shown = text((site / "reference.html").read_text(encoding="utf-8"))

    async def resources() -> list[type]:
        async with FakeChing().async_ching() as ching:
            return [type(ching.customers), type(ching.products)]

    methods = [
        (resource.__name__, name, getattr(resource, name).__doc__)
        for resource in anyio.run(resources)
        for name in dir(resource)
        if not name.startswith("_") and callable(getattr(resource, name))
    ]
    assert {name for _, name, _ in methods} >= {"list", "create", "retrieve", "update", "upsert", "upsert_many"}
    for resource, name, doc in methods:
        assert doc, (resource, name)
        assert plain(doc.strip().splitlines()[0]) in shown, (resource, name)


def test_the_api_reference_has_every_public_name(site: Path) -> None:
    ids = set(re.findall(r'\bid="([^"]+)"', (site / "reference.html").read_text(encoding="utf-8")))
    documented = {anchor.rsplit(".", 1)[-1] for anchor in ids}
    errors = [name for name in ching_client.__all__ if name.endswith("Error")]
    assert {"AsyncChing", "Ching", *errors, "Customer", "Product", "UpsertReport"} - documented == set()
    assert {f"ching_client.testing.{name}" for name in ching_client.testing.__all__} - ids == set()
    assert {"success", "error", "customer", "product"} - documented == set()  # ching_client.testing.envelopes
