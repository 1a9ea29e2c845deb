"""make docs: one static HTML reference that loads nothing when opened, shows every operation and
schema in full, and says, per operation, whether it is safe to repeat."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

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
