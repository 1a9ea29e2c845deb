"""The clients: ``_async`` is written by hand, and ``_sync`` is derived from it by ``generator/unasync.py``."""
