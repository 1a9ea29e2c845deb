"""Python SDK for the Ching payments API."""
