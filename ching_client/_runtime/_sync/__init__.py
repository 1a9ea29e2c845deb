"""The runtime's synchronous parts, derived from ``_async/`` by generator/unasync.py."""
