"""Reliability and security proof: fault matrix, soak, bad input, secrets, property tests."""
