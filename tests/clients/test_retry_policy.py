"""Unit tests of the pure retry decisions: ``decide``, ``backoff`` and ``parse_retry_after``."""

from __future__ import annotations

import random
from email.utils import formatdate

import pytest

from ching_client._core.retry_policy import (
    INITIAL_DELAY,
    MAX_DELAY,
    RETRY_AFTER_CAP,
    Failure,
    attempts,
    backoff,
    decide,
    parse_retry_after,
    set_zero_backoff,
    wait_time,
)

NOW = 1_776_590_000.0  # a fixed wall-clock time (2026)


# --- backoff ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("attempt", "base"), [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0), (30, 8.0)])
def test_backoff_starts_at_half_a_second_doubles_and_caps_at_8(attempt: int, base: float):
    assert backoff(attempt, rand=lambda: 0.0) == base
    assert backoff(attempt, rand=lambda: 1.0) == pytest.approx(base * 0.75)
    assert backoff(attempt, rand=lambda: 0.5) == pytest.approx(base * 0.875)


def test_backoff_jitter_stays_within_25_percent_below_the_base():
    rng = random.Random(1234)
    for attempt in range(1, 9):
        base = min(MAX_DELAY, INITIAL_DELAY * 2 ** (attempt - 1))
        samples = [backoff(attempt, rand=rng.random) for _ in range(300)]
        assert all(0.75 * base <= s <= base for s in samples)
        assert max(samples) - min(samples) > 0.1 * base  # it really is jittered


def test_backoff_never_exceeds_the_cap_with_the_default_random_source():
    assert all(0.75 * MAX_DELAY <= backoff(50) <= MAX_DELAY for _ in range(200))


# --- parse_retry_after ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("5", 5.0),
        ("0", 0.0),
        (" 2.5 ", 2.5),
        ("120", 120.0),
        ("-3", 0.0),
        (formatdate(NOW + 30, usegmt=True), 30.0),
        (formatdate(NOW + 3600, usegmt=True), 3600.0),
        (formatdate(NOW - 60, usegmt=True), 0.0),
        ("Sun, 19 Apr 2026 09:13:45 GMT", 25.0),  # IMF-fixdate, NOW is 09:13:20 GMT
        ("Sunday, 19-Apr-26 09:13:45 GMT", 25.0),  # obsolete RFC 850 form
        ("Sun Apr 19 09:13:45 2026", 25.0),  # asctime form
    ],
)
def test_parse_retry_after_reads_seconds_and_http_dates(value: str, seconds: float):
    assert parse_retry_after(value, NOW) == pytest.approx(seconds)


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf", "1e400", "Someday, 99 Foo 2026"])
def test_parse_retry_after_returns_none_when_unreadable(value: str | None):
    assert parse_retry_after(value, NOW) is None


# --- decide -----------------------------------------------------------------------------------

NEVER_SENT = {"failure": Failure.NOT_SENT}
TIMED_OUT = {"failure": Failure.TIMED_OUT}
DROPPED = {"failure": Failure.DROPPED}


@pytest.mark.parametrize(
    ("outcome", "safe_retries", "unsafe_retries"),
    [
        pytest.param(NEVER_SENT, True, True, id="never-sent"),
        pytest.param(TIMED_OUT, True, False, id="timed-out"),
        pytest.param(DROPPED, True, False, id="dropped"),
        pytest.param({"status": 429}, True, True, id="429"),
        pytest.param({"status": 408}, True, False, id="408"),
        pytest.param({"status": 500}, True, False, id="500"),
        pytest.param({"status": 502}, True, False, id="502"),
        pytest.param({"status": 503}, True, False, id="503"),
        pytest.param({"status": 504}, True, False, id="504"),
        pytest.param({"status": 501}, False, False, id="501"),
        pytest.param({"status": 400}, False, False, id="400"),
        pytest.param({"status": 401}, False, False, id="401"),
        pytest.param({"status": 403}, False, False, id="403"),
        pytest.param({"status": 404}, False, False, id="404"),
        pytest.param({"status": 409}, False, False, id="409"),
        pytest.param({"status": 422}, False, False, id="422"),
    ],
)
def test_decide_matrix(outcome: dict[str, object], safe_retries: bool, unsafe_retries: bool):
    for safe, expected in ((True, safe_retries), (False, unsafe_retries)):
        decision = decide(safe_to_repeat=safe, attempt=1, max_retries=2, remaining=60.0, rand=lambda: 0.0, **outcome)  # type: ignore[arg-type]
        assert decision.retry is expected, (safe, outcome)
        if expected:
            assert decision.delay == 0.5
        else:
            assert decision.delay == 0.0


@pytest.mark.parametrize("outcome", [TIMED_OUT, DROPPED, {"status": 503}])
def test_decide_explains_why_an_unsafe_operation_is_not_retried(outcome: dict[str, object]):
    decision = decide(safe_to_repeat=False, attempt=1, max_retries=2, remaining=60.0, **outcome)  # type: ignore[arg-type]
    assert not decision.retry
    assert "not safe to repeat" in decision.reason


@pytest.mark.parametrize(("max_retries", "last_retried_attempt"), [(0, 0), (1, 1), (2, 2), (5, 5)])
def test_decide_stops_after_max_retries(max_retries: int, last_retried_attempt: int):
    decisions = [
        decide(safe_to_repeat=True, attempt=a, max_retries=max_retries, remaining=1e9, status=503, rand=lambda: 0.0)
        for a in range(1, max_retries + 3)
    ]
    assert [d.retry for d in decisions] == [a <= last_retried_attempt for a in range(1, max_retries + 3)]
    assert decisions[max_retries].reason.endswith(f"gave up after {attempts(max_retries + 1)}")


def test_decide_delays_follow_backoff_per_attempt():
    delays = [
        decide(safe_to_repeat=True, attempt=a, max_retries=10, remaining=1e9, status=502, rand=lambda: 0.0).delay
        for a in range(1, 7)
    ]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]


@pytest.mark.parametrize("retry_after", [0.5, 2.0, 30.0, RETRY_AFTER_CAP])
def test_decide_uses_retry_after_up_to_the_cap(retry_after: float):
    decision = decide(
        safe_to_repeat=False, attempt=1, max_retries=2, remaining=1e9, status=429, retry_after=retry_after
    )
    assert decision.retry
    assert decision.delay == retry_after


@pytest.mark.parametrize("retry_after", [RETRY_AFTER_CAP + 0.001, 61.0, 3600.0])
def test_decide_refuses_retry_after_beyond_the_cap(retry_after: float):
    decision = decide(safe_to_repeat=True, attempt=1, max_retries=2, remaining=1e9, status=429, retry_after=retry_after)
    assert not decision.retry
    assert decision.delay == retry_after
    assert "over the cap" in decision.reason


def test_decide_honours_retry_after_on_a_retryable_5xx():
    decision = decide(safe_to_repeat=True, attempt=1, max_retries=2, remaining=60.0, status=503, retry_after=7.0)
    assert (decision.retry, decision.delay) == (True, 7.0)


@pytest.mark.parametrize(
    ("remaining", "retry_after", "retry"),
    [
        (10.0, 9.99, True),
        (10.0, 10.0, False),
        (10.0, 30.0, False),
        (0.4, None, False),
        (0.6, None, True),
        (-1.0, None, False),
    ],
)
def test_decide_never_waits_past_the_deadline(remaining: float, retry_after: float | None, retry: bool):
    decision = decide(
        safe_to_repeat=True,
        attempt=1,
        max_retries=2,
        remaining=remaining,
        status=429,
        retry_after=retry_after,
        rand=lambda: 0.0,
    )
    assert decision.retry is retry
    if not retry and retry_after is not None and retry_after <= RETRY_AFTER_CAP:
        assert "deadline" in decision.reason


def test_zero_backoff_switch_only_changes_the_real_wait():
    try:
        set_zero_backoff(False)
        assert wait_time(3.5) == 3.5
        set_zero_backoff(True)
        assert wait_time(3.5) == 0.0
    finally:
        set_zero_backoff(True)  # the autouse fixture resets it after the test
