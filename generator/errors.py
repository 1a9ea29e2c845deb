"""The one error the generator raises."""


class GenerationFailed(Exception):
    """The spec or the templates could not be turned into code; the message says what to change."""
