"""The ``ching_client`` logger, and ``CHING_LOG=info|debug`` to turn it on without code."""

from __future__ import annotations

import logging
import os
import warnings

logger = logging.getLogger("ching_client")
_configured = False


def configure_from_env() -> None:
    """Attach a stderr handler once if ``CHING_LOG`` asks for logs and the application set none up."""
    global _configured
    if _configured:
        return
    _configured = True
    asked = os.environ.get("CHING_LOG", "").strip().lower()
    level = {"debug": logging.DEBUG, "info": logging.INFO}.get(asked)
    if level is None:
        if asked:  # a typo would otherwise leave someone waiting for logs that never come
            warnings.warn(f"CHING_LOG={asked!r} is not info or debug: the SDK logs nothing.", stacklevel=3)
        return
    if logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
