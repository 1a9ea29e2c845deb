"""``upsert_many``'s shared parts, free of I/O: rows, their checks, the report, and pacing after a 429."""
