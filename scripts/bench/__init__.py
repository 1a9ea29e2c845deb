"""The benchmark behind `make bench` (``python -m scripts.bench``, see ``__main__``): what the SDK costs on top of its
HTTP engine, one module per section of the report.

common       the fixed request and answers, the engines, the in-process transport, the servers, the error counter
machine      what the figures were measured on, and the machine's load
per_call     1. per-call overhead, in-process
loopback     2. loopback CPU against the local Ching in another process
import_time  3. import time in fresh interpreters
memory       4. RSS growth of one client
bulk         5. bulk upserts (customers.upsert_many and its peers) against scripts/fast_ching.py
report       the tables and the targets
"""
