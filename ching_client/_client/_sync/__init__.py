"""``Ching`` and its resources, derived from ``_async`` (never edited by hand: change ``_async`` and run
``make generate``)."""
