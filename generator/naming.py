"""The naming rule: every operationId is ``<tag>_<verb>``, snake_case, starting with its first tag.

The tag names the client attribute and the verb the method (``customers_list`` becomes
``ching.customers.list``), so an operationId outside the rule would silently change the method
name users call. The generator refuses it instead, saying what to rename it to.

Any verb is allowed, builtins' names (``list``, ``type``, ``id``, ``format``) and keywords
included: a keyword becomes the method with a trailing underscore (``customers_import`` is
``ching.customers.import_``, as PEP 8 advises), and a method named like a builtin does not hide the
builtin from the annotations of its class (``unshadowed``). A tag cannot be a keyword: it is also
a package name (``api/<tag>/``), which no import statement could name.
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
#: Keyword arguments every resource method has; no parameter or verb may take these names.
CALL_OPTIONS = ("timeout", "max_retries", "extra_headers", "extra_query", "extra_body")
#: Members every resource class has beside its operations' methods: no verb may take these names.
RESOURCE_MEMBERS = ("with_raw_response",)
_SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def _words(text: str) -> list[str]:
    return [word.lower() for word in _WORDS.findall(text)]


def _singular(word: str) -> str:
    return word[:-1] if word.endswith("s") else word


def suggestion(operation_id: str, tag: str, method: str, path: str) -> str:
    """A name that follows the rule, keeping the words of ``operation_id`` that are not the tag's."""
    tag_words = {_singular(word) for word in _words(tag)}
    verb = [word for word in _words(operation_id) if _singular(word) not in tag_words]
    if verb in ([], ["get"]):
        verb = ["retrieve"] if path.endswith("}") else ["list"] if method == "get" else [method]
    return f"{'_'.join(_words(tag))}_{'_'.join(verb)}"


def _problem(operation_id: Any, tags: Any, method: str, path: str) -> str | None:
    where = f"{method.upper()} {path}"
    if not isinstance(tags, list) or not tags or not isinstance(tags[0], str):
        return f"{where} ({operation_id!r}) has no tag: its first tag names the client attribute (such as `customers`)"
    tag = tags[0]
    if not _SNAKE.match(tag):
        rename = "_".join(_words(tag))
        return f"{where}: tag {tag!r} must be snake_case (it becomes a client attribute): rename it to {rename!r}"
    if not isinstance(operation_id, str) or not operation_id:
        return f"{where} has no operationId: add `operationId: {suggestion('', tag, method, path)}`"
    if keyword.iskeyword(tag):
        return f"{where}: tag {tag!r} is a Python keyword, which cannot name a client attribute: rename it"
    verb = operation_id.removeprefix(f"{tag}_")
    if verb in CALL_OPTIONS + RESOURCE_MEMBERS and _SNAKE.match(operation_id):
        kind = "a keyword argument of every method" if verb in CALL_OPTIONS else "a member of every resource"
        return (
            f"{where}: operationId {operation_id!r} would make the method `{tag}.{verb}`, but `{verb}` is {kind}: "
            "rename it with another verb"
        )
    if not _SNAKE.match(operation_id) or verb == operation_id:
        rename = suggestion(operation_id, tag, method, path)
        return (
            f"{where}: operationId {operation_id!r} must be `<tag>_<verb>` in snake_case, starting with its first "
            f"tag {tag!r} (the method becomes `{tag}.<verb>`): rename it to {rename!r}"
        )
    return None


def naming_problems(spec: dict[str, Any]) -> list[str]:
    """Every operation whose operationId or first tag breaks the rule, with the name to use instead."""
    problems = []
    for path, item in (spec.get("paths") or {}).items():
        for method in HTTP_METHODS:
            operation = (item or {}).get(method)
            if isinstance(operation, dict):
                problem = _problem(operation.get("operationId"), operation.get("tags"), method, path)
                if problem:
                    problems.append(problem)
    return problems


def method_name(verb: str) -> str:
    """The Python method of a verb: the verb itself, with a trailing underscore if it is a keyword."""
    return f"{verb}_" if keyword.iskeyword(verb) else verb


#: Names generated annotations use that a method or field of a class can hide from the annotations
#: after it (a method `list` makes `list[Customer]` name the method), with a spelling no member hides.
_UNHIDEABLE = {name: f"builtins.{name}" for name in dir(builtins) if not name.startswith("_")} | {
    "datetime": "_datetime"
}
_QUOTED_OR_NAME = re.compile(r"""'[^']*'|"[^"]*"|(?<![\w.])([A-Za-z_]\w*)""")


def unshadowed(annotation: str, members: Iterable[str]) -> str:
    """``annotation`` with each name that one of the class's ``members`` hides spelled so it cannot be hidden.

    Only names outside quotes change (``Literal['list']`` keeps its value); generated modules import
    ``builtins`` and ``datetime as _datetime`` for this, and ruff drops the imports when unused.
    """
    hidden = set(members) & _UNHIDEABLE.keys()
    if not hidden:
        return annotation

    def spell(match: re.Match[str]) -> str:
        name = match.group(1)
        return _UNHIDEABLE[name] if name in hidden else match.group(0)

    return _QUOTED_OR_NAME.sub(spell, annotation)
