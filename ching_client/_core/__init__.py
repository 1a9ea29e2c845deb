"""The request core, shared by both clients and free of I/O: configuration, the retry policy, error mapping and
response parsing, logging."""
