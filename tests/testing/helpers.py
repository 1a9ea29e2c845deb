"""Assertion helpers for Ching envelopes."""

from __future__ import annotations

from typing import Any

import httpx


def ok(response: httpx.Response, status: int = 200) -> Any:
    """Assert a success envelope with `status` and return its data."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is True
    return body["data"]


def fail(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Assert a failure envelope with `status` and `code`, and return its error object."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False
    error: dict[str, Any] = body["error"]
    assert error["status"] == status
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    return error


def issue_paths(response: httpx.Response) -> list[list[str | int]]:
    """Assert a 400 INVALID_FIELD and return the paths of its issues."""
    error = fail(response, 400, "INVALID_FIELD")
    issues = error["issues"]
    assert issues
    assert all(isinstance(item["message"], str) for item in issues)
    return [item["path"] for item in issues]
