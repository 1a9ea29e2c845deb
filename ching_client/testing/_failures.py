"""The responses injected faults produce: error envelopes, proxy HTML pages, truncated JSON."""

from __future__ import annotations

from ._faults import Fault
from ._wire import JSON_TYPE, ApiError, FakeResponse, error_response

DEFAULT_ERRORS = {
    400: ("INVALID_FIELD", "Invalid request"),
    401: ("NO_ACCESS", "No access"),
    402: ("CHARGE_FAILED", "Charge failed"),
    403: ("LIVE_KEY_INACTIVE", "Live mode is not active for this project"),
    404: ("NOT_FOUND", "Not found"),
    409: ("CONFLICT", "Conflict"),
    422: ("INVALID_FIELD", "Invalid field"),
    429: ("RATE_LIMITED", "Too many requests"),
    500: ("INTERNAL_ERROR", "Internal server error"),
}
"""The code and message Ching gives with each status, where it documents one."""
_REASONS = {502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def status_response(fault: Fault) -> FakeResponse:
    """A failure with the fault's status: HTML for 502/503/504 (as proxies send), else Ching's envelope."""
    headers: list[tuple[str, str]] = []
    retry_after = fault.retry_after
    if retry_after is None and fault.status == 429:
        retry_after = "1"
    if retry_after:
        headers.append(("retry-after", retry_after))
    reason = _REASONS.get(fault.status)
    if fault.body is not None:
        content_type = "text/html; charset=utf-8" if reason else JSON_TYPE
        return FakeResponse(fault.status, (("content-type", content_type), *headers), fault.body.encode())
    if reason is not None:
        html = (
            f"<html>\r\n<head><title>{fault.status} {reason}</title></head>\r\n"
            f"<body>\r\n<center><h1>{fault.status} {reason}</h1></center>\r\n"
            "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        )
        return FakeResponse(fault.status, (("content-type", "text/html"), *headers), html.encode())
    code, message = DEFAULT_ERRORS.get(fault.status, ("ERROR", "Simulated failure"))
    return error_response(ApiError(fault.status, code, message, headers=headers))


def malformed_response() -> FakeResponse:
    """A 200 whose JSON body is cut off mid-object."""
    return FakeResponse(200, (("content-type", JSON_TYPE),), b'{"success":true,"data":{"id":"cus_')
