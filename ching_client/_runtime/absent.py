"""``absent``: what a generated ``from_dict`` reads for a required response field the server's answer lacks.

The spec can be released before the server that implements it, and a proxy can trim an answer, so an
answer may lack a field the spec lists as required. When the model can do without it, failing the call
would be worse than the gap: the call may have been a create that Ching applied, and an error invites
sending it again. So a required field that is nullable reads as ``None``, and one with a ``default`` in
the spec as that default (the generator decides which fields, from the spec; see
``generator/models.py``). A required field that is neither (``id``, ``name``, ``created``) stays strict:
its absence raises ``KeyError`` and the client reports the answer as undocumented.
"""

from __future__ import annotations

import copy
import logging
import threading
from typing import Any

# The SDK's logger by name: generated code and the runtime never import the client.
_logger = logging.getLogger("ching_client")
_warned: set[tuple[str, str]] = set()
_lock = threading.Lock()


def absent(model: type, field: str, fallback: Any) -> Any:
    """``fallback`` (a copy: a default may be a list or an object) for ``model``'s wire field ``field``.

    Logs one WARNING per model and field per process, so a bulk run over a lagging server says it once.
    """
    key = (model.__name__, field)
    with _lock:
        first = key not in _warned
        _warned.add(key)
    if first:
        _logger.warning(
            "%s.%s: Ching's answer lacks this field, which the spec lists as required; read as %r. The spec may be "
            "ahead of the server, or a proxy trimmed the answer. (Logged once per model and field.)",
            key[0],
            field,
            fallback,
        )
    return copy.deepcopy(fallback)
