"""The runtime's asynchronous parts: the source of ``_sync/``, derived by generator/unasync.py."""
