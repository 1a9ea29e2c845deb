"""``AsyncChing`` and its resources: the source the sync client is derived from."""
