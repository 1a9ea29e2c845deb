"""The documentation: the HTTP API reference page, and the hooks that build the site around it (`make docs`).

Renders openapi/ching.yaml into static HTML: no script, stylesheet, font or image is loaded
when the page is opened, so it reads the same from file:// with no network. Everything is
shown expanded: every operation with its parameters, request body, each response (headers,
body fields and examples), and every schema with all its properties. Each operation states
whether it is safe to repeat, read from its `x-ching-safe-to-repeat`. Descriptions are
CommonMark (raw HTML in them is escaped, not passed through).

    .venv/bin/python scripts/build_docs.py [--out build/docs/ching-api.html]   the page alone

mkdocs.yml names this file as its hooks, so `mkdocs build` (`make docs`) builds one site that holds
README.md (its home page), CONTRIBUTING.md, docs/*.md, the Python API reference (mkdocstrings, from the
docstrings) and this page as ching-api.html, linked from the navigation. Links between those files are
written for the repository (README.md links docs/engines.md, a guide links ../README.md); the hooks map them
to the site's own paths, so the same Markdown reads right on a forge and in the site.
"""

from __future__ import annotations

import argparse
import json
import posixpath
import re
import sys
from collections.abc import Callable, Iterator
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from markdown_it import MarkdownIt

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.nav import Navigation
    from mkdocs.structure.pages import Page

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "openapi" / "ching.yaml"
DEFAULT_OUT = ROOT / "build" / "docs" / "ching-api.html"
METHODS = ("get", "put", "post", "delete", "patch")
SAFE = (
    "Safe to repeat: yes. Sending the same request again gives the same result, so it may be "
    "retried after a timeout or a dropped connection."
)
UNSAFE = (
    "Safe to repeat: no. Ching ignores idempotency keys: never retry this once the request may "
    "have reached Ching, or it may happen twice."
)
# Schema keywords shown as constraints under a property's description, in this order.
CONSTRAINTS = (
    "format",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "minItems",
    "maxItems",
    "pattern",
    "contentEncoding",
    "default",
)

_markdown = MarkdownIt("commonmark", {"html": False})

STYLE = """
:root { --fg: #1d2330; --muted: #5b6472; --line: #d9dde3; --soft: #f5f7f9; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); }
a { color: var(--accent); }
code, pre { font: 13px/1.45 ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
code { background: var(--soft); padding: 0 3px; border-radius: 3px; }
pre { background: #1f2430; color: #e6e9ef; padding: 10px 12px; border-radius: 6px; overflow-x: auto; }
pre code { background: none; padding: 0; }
nav { position: fixed; top: 0; bottom: 0; left: 0; width: 270px; overflow-y: auto; padding: 16px;
      background: var(--soft); border-right: 1px solid var(--line); font-size: 14px; }
nav ul { list-style: none; margin: 0 0 12px; padding: 0; }
nav li { margin: 2px 0; }
nav a { text-decoration: none; }
nav .group { margin: 12px 0 4px; font-weight: 600; text-transform: uppercase; font-size: 12px; color: var(--muted); }
main { margin-left: 270px; padding: 24px 40px 80px; max-width: 1150px; }
h1 { margin-top: 0; }
h2 { border-bottom: 2px solid var(--line); padding-bottom: 4px; margin-top: 48px; }
.operation, .schema { border: 1px solid var(--line); border-radius: 8px; padding: 4px 20px 16px; margin: 24px 0; }
.endpoint { font-size: 16px; margin: 4px 0 8px; }
.method { display: inline-block; min-width: 64px; text-align: center; color: #fff; font-weight: 700;
          font-size: 12px; padding: 2px 8px; border-radius: 4px; margin-right: 8px; vertical-align: 2px; }
.get { background: #1f7a3f; } .post { background: #0b5cad; } .put { background: #8a5a00; }
.patch { background: #6b4fb3; } .delete { background: #b3261e; }
.meta { color: var(--muted); font-size: 13px; }
.repeat { padding: 8px 12px; border-radius: 6px; border-left: 5px solid; margin: 12px 0; }
.repeat.yes { background: #e9f6ee; border-color: #1f7a3f; }
.repeat.no { background: #fdeceb; border-color: #b3261e; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 12px; font-size: 14px; }
th, td { border: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: var(--soft); }
td p { margin: 0 0 4px; }
td.name { white-space: nowrap; }
.required { color: #b3261e; font-size: 12px; font-weight: 600; }
.constraints { color: var(--muted); font-size: 13px; }
details { border: 1px solid var(--line); border-radius: 6px; padding: 4px 12px; margin: 8px 0; }
details > summary { cursor: pointer; font-weight: 600; }
.status { display: inline-block; min-width: 56px; font-family: ui-monospace, Menlo, Consolas, monospace; }
.s2 { color: #1f7a3f; } .s4, .s5, .sd { color: #b3261e; }
h3 { margin-bottom: 4px; }
h4 { margin: 16px 0 4px; }
"""


def markdown(text: str | None) -> str:
    """CommonMark rendered to HTML, raw HTML escaped."""
    html: str = _markdown.render(text or "")
    return html


def anchor(kind: str, name: str) -> str:
    return f"{kind}-{name}"


class Renderer:
    """Renders one OpenAPI 3.1 document into a single HTML page."""

    def __init__(self, spec: dict[str, Any], home: str | None = None) -> None:
        self.spec = spec
        # Inside the documentation site: the page it goes back to (the standalone page has no such link).
        self.home = home

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follow a local `$ref` (`#/components/...`), recursively; other nodes are returned as they are."""
        while "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#/"):
                raise ValueError(f"only local references are supported, not {ref!r}")
            target: Any = self.spec
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    # -- types and constraints -------------------------------------------------------------

    def type_html(self, schema: dict[str, Any]) -> str:
        """A short HTML rendering of a schema's type, linking named schemas."""
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            name = ref.rsplit("/", 1)[1]
            return f'<a href="#{anchor("schema", name)}">{escape(name)}</a>'
        if "oneOf" in schema or "anyOf" in schema:
            options = schema.get("oneOf") or schema.get("anyOf") or []
            word = "one of" if "oneOf" in schema else "any of"
            return f"{word}: " + " | ".join(self.type_html(option) for option in options)
        types = schema.get("type")
        names = [types] if isinstance(types, str) else list(types or [])
        if not names:
            return "any JSON value"
        parts = []
        for name in names:
            if name == "array":
                items = schema.get("items")
                inner = self.type_html(items) if isinstance(items, dict) else ""
                parts.append(f"array of ({inner})" if " | " in inner else f"array of {inner}" if inner else "array")
            elif name == "object" and isinstance(schema.get("additionalProperties"), dict):
                parts.append("object of " + self.type_html(schema["additionalProperties"]) + " values")
            else:
                parts.append(escape(str(name)))
        return " | ".join(parts)

    def constraints_html(self, schema: dict[str, Any]) -> str:
        """Enum values, limits, examples and vendor extensions of a schema, as one muted line."""
        notes: list[str] = []
        if "enum" in schema:
            notes.append("one of " + ", ".join(f"<code>{escape(json.dumps(v))}</code>" for v in schema["enum"]))
        if "const" in schema:
            notes.append(f"always <code>{escape(json.dumps(schema['const']))}</code>")
        for key in CONSTRAINTS:
            if key in schema:
                value = schema[key]
                # A pattern reads as the regular expression itself, not as a JSON string.
                shown = value if key == "pattern" else json.dumps(value, ensure_ascii=False)
                notes.append(f"{key}: <code>{escape(str(shown))}</code>")
        if schema.get("additionalProperties") is True:
            notes.append("unknown properties allowed (keep them)")
        elif schema.get("additionalProperties") is False:
            notes.append("no other properties")
        examples = list(schema.get("examples") or []) + ([schema["example"]] if "example" in schema else [])
        if examples:
            shown = ", ".join(f"<code>{escape(json.dumps(e, ensure_ascii=False))}</code>" for e in examples)
            notes.append("example: " + shown)
        for key, value in schema.items():
            if key.startswith("x-"):
                shown = escape(json.dumps(value, ensure_ascii=False))
                notes.append(f"<code>{escape(key)}</code>: <code>{shown}</code>")
        return f'<div class="constraints">{"; ".join(notes)}</div>' if notes else ""

    # -- schemas -----------------------------------------------------------------------------

    def properties_table(self, schema: dict[str, Any]) -> str:
        """The properties of an object schema as a table; empty when it has none."""
        properties: dict[str, Any] = schema.get("properties") or {}
        if not properties:
            return ""
        required = set(schema.get("required") or [])
        rows = []
        for name, prop in properties.items():
            target = self.resolve(prop)
            description = prop.get("description") or target.get("description")
            flag = ' <span class="required">required</span>' if name in required else ""
            rows.append(
                f'<tr><td class="name"><code>{escape(name)}</code>{flag}</td>'
                f"<td>{self.type_html(prop)}</td>"
                f"<td>{markdown(description)}{self.constraints_html(prop)}{self.items_html(prop)}</td></tr>"
            )
        return (
            "<table><thead><tr><th>Property</th><th>Type</th><th>Description</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def items_html(self, schema: dict[str, Any]) -> str:
        """The description of an array's inline item schema, when it has one."""
        items = schema.get("items")
        if isinstance(items, dict) and "$ref" not in items and items.get("description"):
            return f'<div class="constraints">Each item: {self.type_html(items)}.</div>{markdown(items["description"])}'
        return ""

    def schema_body(self, schema: dict[str, Any], *, with_type: bool = True) -> str:
        """A schema in full: description, type, constraints, alternatives and properties."""
        target = self.resolve(schema)
        parts = [markdown(schema.get("description") or target.get("description"))]
        if with_type:
            parts.append(f'<p class="meta">Type: {self.type_html(schema)}</p>')
        parts.append(self.constraints_html(target))
        alternatives = target.get("oneOf") or target.get("anyOf")
        if alternatives:
            items = []
            for option in alternatives:
                resolved = self.resolve(option)
                text = option.get("description") or resolved.get("description")
                items.append(
                    f"<li>{self.type_html(option)}{markdown(text)}{self.constraints_html(option)}"
                    f"{self.items_html(option)}</li>"
                )
            parts.append(f"<p>Exactly one of:</p><ul>{''.join(items)}</ul>")
        parts.append(self.properties_table(target))
        if target.get("type") == "array" and isinstance(target.get("items"), dict):
            parts.append(self.items_html(target))
        return "".join(parts)

    # -- operations --------------------------------------------------------------------------

    def operations(self) -> Iterator[tuple[str, str, dict[str, Any], list[dict[str, Any]]]]:
        """(path, method, operation, parameters) in the spec's order."""
        for path, item in self.spec["paths"].items():
            shared = [self.resolve(p) for p in item.get("parameters") or []]
            for method, operation in item.items():
                if method in METHODS:
                    own = [self.resolve(p) for p in operation.get("parameters") or []]
                    names = {(p["name"], p["in"]) for p in own}
                    yield path, method, operation, [p for p in shared if (p["name"], p["in"]) not in names] + own

    def examples_html(self, media: dict[str, Any]) -> str:
        """The examples of a media type, each as pretty-printed JSON under its summary."""
        blocks = []
        if "example" in media:
            blocks.append(("Example", media["example"]))
        for key, example in (media.get("examples") or {}).items():
            example = self.resolve(example)
            blocks.append((example.get("summary") or key, example.get("value")))
        return "".join(
            f'<p class="meta">Example: {escape(str(title))}</p>'
            f"<pre><code>{escape(json.dumps(value, indent=2, ensure_ascii=False, default=str))}</code></pre>"
            for title, value in blocks
        )

    def content_html(self, content: dict[str, Any], shown: dict[str, str], where: str) -> str:
        """Each media type's schema in full and its examples.

        `shown` maps the named schemas already laid out in this operation to where they were:
        a schema that several responses share (the error envelope) is laid out once, then
        referred to.
        """
        parts = []
        for media_type, media in content.items():
            schema = media.get("schema") or {}
            ref = schema.get("$ref")
            if where == "request":
                parts.append(f'<p class="meta">Body: <code>{escape(media_type)}</code>, {self.type_html(schema)}</p>')
            if isinstance(ref, str) and ref in shown and not schema.get("description"):
                parts.append(f'<p class="meta">Fields as in {escape(shown[ref])} above.</p>')
            else:
                if isinstance(ref, str):
                    shown[ref] = where
                parts.append(self.schema_body(schema, with_type=False))
            parts.append(self.examples_html(media))
        return "".join(parts)

    def parameters_html(self, parameters: list[dict[str, Any]]) -> str:
        if not parameters:
            return ""
        rows = []
        for parameter in parameters:
            schema = parameter.get("schema") or {}
            flag = ' <span class="required">required</span>' if parameter.get("required") else ""
            example = {"example": parameter["example"]} if "example" in parameter else {}
            rows.append(
                f'<tr><td class="name"><code>{escape(parameter["name"])}</code>{flag}</td>'
                f"<td>{escape(parameter['in'])}</td><td>{self.type_html(schema)}</td>"
                f"<td>{markdown(parameter.get('description'))}{self.constraints_html({**schema, **example})}</td></tr>"
            )
        return (
            "<h4>Parameters</h4><table><thead><tr><th>Name</th><th>In</th><th>Type</th><th>Description</th></tr>"
            f"</thead><tbody>{''.join(rows)}</tbody></table>"
        )

    def headers_html(self, headers: dict[str, Any]) -> str:
        if not headers:
            return ""
        rows = []
        for name, header in headers.items():
            header = self.resolve(header)
            schema = header.get("schema") or {}
            example = {"example": header["example"]} if "example" in header else {}
            rows.append(
                f'<tr><td class="name"><code>{escape(name)}</code></td><td>{self.type_html(schema)}</td>'
                f"<td>{markdown(header.get('description'))}{self.constraints_html({**schema, **example})}</td></tr>"
            )
        return (
            "<table><thead><tr><th>Header</th><th>Type</th><th>Description</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
        )

    def responses_html(self, responses: dict[str, Any]) -> str:
        parts = ["<h4>Responses</h4>"]
        shown: dict[str, str] = {}
        for status, response in responses.items():
            response = self.resolve(response)
            tone = "sd" if status == "default" else f"s{str(status)[0]}"
            parts.append(
                f'<details open><summary><span class="status {tone}">{escape(str(status))}</span> '
                f"{self.response_summary(response)}</summary>"
                f"{markdown(response.get('description'))}"
                f"{self.headers_html(response.get('headers') or {})}"
                f"{self.content_html(response.get('content') or {}, shown, f'the {status} response')}</details>"
            )
        return "".join(parts)

    def response_summary(self, response: dict[str, Any]) -> str:
        """What a response carries, in one line: its media types and their schemas."""
        content = response.get("content") or {}
        if not content:
            return "no body"
        return ", ".join(
            f"<code>{escape(media_type)}</code> {self.type_html(media.get('schema') or {})}"
            for media_type, media in content.items()
        )

    def security_html(self, operation: dict[str, Any]) -> str:
        requirements = operation.get("security", self.spec.get("security")) or []
        names = [name for requirement in requirements for name in requirement]
        if not names:
            return '<p class="meta">Authentication: none.</p>'
        links = ", ".join(f'<a href="#{anchor("security", n)}">{escape(n)}</a>' for n in names)
        return f'<p class="meta">Authentication: {links}</p>'

    def operation_html(self, path: str, method: str, operation: dict[str, Any], params: list[dict[str, Any]]) -> str:
        op_id = operation["operationId"]
        safe = operation["x-ching-safe-to-repeat"]
        extensions = {k: v for k, v in operation.items() if k.startswith("x-")}
        parts = [
            f'<section class="operation" id="{anchor("op", op_id)}">',
            f"<h3>{escape(operation.get('summary') or op_id)}</h3>",
            f'<p class="endpoint"><span class="method {method}">{method.upper()}</span><code>{escape(path)}</code></p>',
            f'<p class="meta">operationId <code>{escape(op_id)}</code>'
            + "".join(f" · <code>{escape(k)}: {escape(json.dumps(v))}</code>" for k, v in extensions.items())
            + "</p>",
            f'<p class="repeat {"yes" if safe else "no"}"><strong>{escape(SAFE if safe else UNSAFE)}</strong></p>',
            markdown(operation.get("description")),
            self.security_html(operation),
            self.parameters_html(params),
        ]
        body = operation.get("requestBody")
        if body is not None:
            body = self.resolve(body)
            needed = "required" if body.get("required") else "optional"
            parts.append(f"<h4>Request body ({needed})</h4>{markdown(body.get('description'))}")
            parts.append(self.content_html(body.get("content") or {}, {}, "request"))
        parts.append(self.responses_html(operation.get("responses") or {}))
        parts.append("</section>")
        return "\n".join(parts)

    # -- the page ----------------------------------------------------------------------------

    def overview_html(self) -> str:
        info = self.spec["info"]
        parts = [
            f'<section id="overview"><h1>{escape(info["title"])} <small>{escape(info["version"])}</small></h1>',
            f"<p><strong>{escape(info.get('summary', ''))}</strong></p>" if info.get("summary") else "",
            markdown(info.get("description")),
            f'<p class="meta">OpenAPI {escape(str(self.spec["openapi"]))}',
        ]
        if "license" in info:
            parts.append(f" · License {escape(info['license'].get('name', ''))}")
        if "contact" in info:
            contact = info["contact"]
            parts.append(f" · Contact {escape(contact.get('name', ''))} {escape(contact.get('url', ''))}")
        parts.append("</p><h2>Servers</h2><ul>")
        for server in self.spec.get("servers") or []:
            parts.append(f"<li><code>{escape(server['url'])}</code>{markdown(server.get('description'))}</li>")
        parts.append("</ul><h2>Authentication</h2>")
        for name, scheme in ((self.spec.get("components") or {}).get("securitySchemes") or {}).items():
            kind = " ".join(str(scheme.get(k, "")) for k in ("type", "scheme", "in", "name") if k in scheme)
            parts.append(
                f'<div id="{anchor("security", name)}"><h3><code>{escape(name)}</code> ({escape(kind)})</h3>'
                f"{markdown(scheme.get('description'))}</div>"
            )
        parts.append("</section>")
        return "".join(parts)

    def nav_html(self) -> str:
        parts = ['<nav><a href="#overview"><strong>' + escape(self.spec["info"]["title"]) + "</strong></a>"]
        if self.home is not None:
            parts.append(f'<div class="group"><a href="{escape(self.home)}">Back to the SDK documentation</a></div>')
        for tag in self.tags():
            parts.append(f'<div class="group"><a href="#{anchor("tag", tag)}">{escape(tag)}</a></div><ul>')
            for path, method, operation, _ in self.operations():
                if _tag(operation) == tag:
                    parts.append(
                        f'<li><a href="#{anchor("op", operation["operationId"])}">'
                        f'<span class="meta">{method.upper()}</span> '
                        f"{escape(operation.get('summary') or path)}</a></li>"
                    )
            parts.append("</ul>")
        parts.append('<div class="group"><a href="#schemas">Schemas</a></div><ul>')
        for name in self.spec["components"]["schemas"]:
            parts.append(f'<li><a href="#{anchor("schema", name)}">{escape(name)}</a></li>')
        parts.append("</ul></nav>")
        return "".join(parts)

    def tags(self) -> list[str]:
        declared = [tag["name"] for tag in self.spec.get("tags") or []]
        used = [_tag(operation) for _, _, operation, _ in self.operations()]
        return declared + [tag for tag in dict.fromkeys(used) if tag not in declared]

    def page(self) -> str:
        descriptions = {tag["name"]: tag.get("description") for tag in self.spec.get("tags") or []}
        body = [self.overview_html()]
        for tag in self.tags():
            body.append(f'<h2 id="{anchor("tag", tag)}">{escape(tag)}</h2>{markdown(descriptions.get(tag))}')
            body.extend(
                self.operation_html(path, method, operation, params)
                for path, method, operation, params in self.operations()
                if _tag(operation) == tag
            )
        body.append('<h2 id="schemas">Schemas</h2>')
        for name, schema in self.spec["components"]["schemas"].items():
            body.append(
                f'<section class="schema" id="{anchor("schema", name)}"><h3>{escape(name)}</h3>'
                f"{self.schema_body(schema)}</section>"
            )
        title = escape(f"{self.spec['info']['title']} {self.spec['info']['version']} reference")
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"{self.nav_html()}\n<main>\n" + "\n".join(body) + "\n</main>\n</body>\n</html>\n"
        )


def _tag(operation: dict[str, Any]) -> str:
    tags = operation.get("tags") or ["other"]
    return str(tags[0])


def render(spec: dict[str, Any], home: str | None = None) -> str:
    """The reference page for an OpenAPI document; ``home``, a link back to the site that holds it."""
    return Renderer(spec, home).page()


def build(out: Path, spec_path: Path = SPEC) -> Path:
    """Render the reference to `out` and return it."""
    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(spec), encoding="utf-8")
    return out


# -- the documentation site (mkdocs hooks) ------------------------------------------------------------------------

SITE_PAGE = "ching-api.html"
# Repository files that are pages of the site, under the names they have there.
SITE_NAMES = {"README.md": "index.md", "CONTRIBUTING.md": "contributing.md"}
DOCS_DIR = "docs"
RESOURCES_MARKER = "<!-- ching: resources -->"
# Clients whose resources (``ching.customers``, ``ching.products``) the API reference lists; the sync twin's
# methods are the same without ``await``.
RESOURCE_CLIENTS = ("AsyncChing",)
_LINK = re.compile(r"(\]\()([^)\s]+)(\))")


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add README.md and CONTRIBUTING.md as pages, and the HTTP API reference rendered from the spec."""
    from mkdocs.structure.files import File

    for source, name in SITE_NAMES.items():
        text = (ROOT / source).read_text(encoding="utf-8")
        files.append(File.generated(config, name, content=text))
    spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    files.append(File.generated(config, SITE_PAGE, content=render(spec, home="index.html")))
    return files


def on_nav(nav: Navigation, config: MkDocsConfig, files: Files) -> Navigation:
    """Link the HTTP API reference from the navigation's Reference section (a page of its own, not a theme's)."""
    from mkdocs.structure.nav import Link, Section

    title = "HTTP API (from the spec)"
    sections = [item for item in nav.items if isinstance(item, Section) and item.title == "Reference"]
    if not sections:
        raise ValueError("mkdocs.yml's nav needs a 'Reference' section for the HTTP API reference")
    sections[0].children.append(Link(title, SITE_PAGE))
    return nav


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Map repository links to the site's paths, and list the clients' resources on the API reference page."""
    source = page.file.src_uri
    # Where this page lives in the repository: README.md and CONTRIBUTING.md at the top, the guides in docs/.
    in_repository = next((repo for repo, name in SITE_NAMES.items() if name == source), f"{DOCS_DIR}/{source}")
    markdown = _outside_code(markdown, lambda text: _LINK.sub(lambda m: _site_link(m, in_repository), text))
    if RESOURCES_MARKER in markdown:
        markdown = markdown.replace(RESOURCES_MARKER, resources_markdown())
    return markdown


def _outside_code(markdown: str, change: Callable[[str], str]) -> str:
    """Apply ``change`` to the text between fenced code blocks only: code is shown as written."""
    parts = re.split(r"(^(?:```|~~~).*?^(?:```|~~~)[^\n]*$)", markdown, flags=re.MULTILINE | re.DOTALL)
    return "".join(part if index % 2 else change(part) for index, part in enumerate(parts))


def _site_link(match: re.Match[str], in_repository: str) -> str:
    """A Markdown link's target as the site has it: ``docs/engines.md`` from README.md is ``engines.md``."""
    target = match.group(2)
    if "://" in target or target.startswith(("#", "mailto:")):
        return match.group(0)
    path, hash_, fragment = target.partition("#")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(in_repository), path))
    if resolved in SITE_NAMES:
        site = SITE_NAMES[resolved]
    elif resolved.startswith(DOCS_DIR + "/"):
        site = resolved.removeprefix(DOCS_DIR + "/")
    else:
        return match.group(0)  # a file the site does not have: mkdocs --strict reports the link
    return f"{match.group(1)}{site}{hash_}{fragment}{match.group(3)}"


def resources_markdown() -> str:
    """One section per resource of the clients (``AsyncChing.customers``...), wherever the package keeps its class.

    The resource classes are private (the public names are the clients), so they are found as the return types of
    the clients' resource properties, read statically as mkdocstrings reads the rest.
    """
    import griffe

    package = griffe.load("ching_client", search_paths=[str(ROOT)], resolve_aliases=False)
    sections = []
    for client_name in RESOURCE_CLIENTS:
        client = package[client_name].final_target
        for name, member in sorted(client.all_members.items()):
            member = member.final_target if member.is_alias else member
            # A cached property is an attribute to griffe: its type is the getter's return annotation.
            kind = getattr(member, "annotation", None) or getattr(member, "returns", None)
            path = getattr(kind, "canonical_path", "")
            if "cached" in member.labels and path.startswith("ching_client."):
                sections.append(
                    f"### `{client_name}.{name}`\n\n::: {path}\n    options:\n      show_root_heading: false\n"
                    "      inherited_members: true\n      heading_level: 4\n"
                )
    if not sections:
        raise ValueError("no resource found on the clients: the API reference would list no method")
    return "\n".join(sections)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="the HTML file to write (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        path = build(args.out)
    except (OSError, KeyError, ValueError) as exc:
        print(f"could not build the reference: {exc!r}", file=sys.stderr)
        return 1
    print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
