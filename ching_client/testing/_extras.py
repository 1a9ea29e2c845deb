"""The optional packages the local Ching needs (the ``testing`` extra), checked before they are used."""

from __future__ import annotations

import importlib.util

from ching_client import ChingError


class MissingExtraError(ChingError, ImportError):
    """A package of the ``testing`` extra is not installed; also an ``ImportError``, as Python reports those."""

    def __init__(self, package: str, needed_for: str) -> None:
        # The package's own name works wherever ching-client came from (a checkout, git, a wheel).
        super().__init__(
            f"The local Ching needs {package} {needed_for}: pip install {package} "
            "(or install ching-client with its testing extra)."
        )
        self.name: str | None = package  # as ImportError has it: the module that is missing


def require(package: str, needed_for: str) -> None:
    """Raise ``MissingExtraError`` unless ``package`` can be imported; cheap, as nothing is imported yet."""
    if importlib.util.find_spec(package) is None:
        raise MissingExtraError(package, needed_for)


PHONE_PURPOSE = "to normalise phone numbers as Ching does"
SERVER_PURPOSE = "to serve over HTTP"
