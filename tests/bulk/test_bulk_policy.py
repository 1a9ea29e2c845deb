"""The pure parts of ``upsert_many``: the pacer, row checking, and the order of rows naming one customer."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from ching_client import APIConnectionError, BadRequestError, InvalidArgumentError
from ching_client._bulk.batch import Pacer, SameCustomerOrder, Tally, identity_key, row_arguments
from ching_client._core.retry_policy import decide


def test_a_429_pauses_the_whole_batch_for_retry_after(real_waits: None):
    pacer = Pacer(16, patience=60)
    assert pacer.pause_left(100.0) == 0
    assert pacer.rate_limited(100.0, 2.5, pacer.epoch)
    assert pacer.pause_left(100.0) == 2.5
    assert pacer.pause_left(101.0) == 1.5
    assert pacer.pause_left(103.0) == 0


def test_a_shorter_retry_after_never_cuts_a_pause_short(real_waits: None):
    pacer = Pacer(16, patience=60)
    pacer.rate_limited(100.0, 5, pacer.epoch)
    pacer.rate_limited(101.0, 1, pacer.epoch)
    assert pacer.pause_left(101.0) == 4


def test_requests_already_in_flight_lengthen_the_pause_but_do_not_add_to_patience(real_waits: None):
    pacer = Pacer(16, patience=60)
    wave = pacer.epoch
    for _ in range(16):
        assert pacer.rate_limited(100.0, 5, wave)
    assert pacer.stalled == 5
    assert pacer.rate_limited(102.0, 6, wave)  # a later answer asking for longer
    assert pacer.pause_left(102.0) == 6
    assert pacer.stalled == 5


def test_a_retry_after_of_zero_still_pauses_and_backs_off(real_waits: None):
    pacer = Pacer(16, patience=60)
    pacer.rate_limited(0.0, 0, pacer.epoch)
    first = pacer.pause_left(0.0)
    pacer.rate_limited(100.0, 0, pacer.epoch)
    assert 0.375 <= first <= 0.5
    assert pacer.pause_left(100.0) > first


def test_retry_after_is_capped_at_a_minute(real_waits: None):
    pacer = Pacer(16, patience=600)
    pacer.rate_limited(0.0, 3600, pacer.epoch)
    assert pacer.pause_left(0.0) == 60


def test_without_retry_after_the_pause_backs_off_exponentially(real_waits: None):
    pacer = Pacer(16, patience=600)
    pauses = []
    for n in range(5):
        now = 1000.0 * n
        pacer.rate_limited(now, None, pacer.epoch)
        pauses.append(pacer.pause_left(now))
    assert all(later > earlier for earlier, later in itertools.pairwise(pauses))
    assert 0.375 <= pauses[0] <= 0.5
    assert pauses[4] <= 8


def test_the_limit_halves_once_per_wave_and_grows_back_one_at_a_time():
    pacer = Pacer(16, patience=60)
    wave = pacer.epoch
    for _ in range(10):  # ten requests of the same wave answered 429
        pacer.rate_limited(0.0, 0, wave)
    assert pacer.limit == 8
    pacer.rate_limited(0.0, 0, pacer.epoch)  # a request sent after the halving
    assert pacer.limit == 4
    limits = []
    for _ in range(4 + 5 + 6):
        pacer.succeeded()
        limits.append(pacer.limit)
    assert (limits[3], limits[8], limits[14]) == (5, 6, 7)
    for _ in range(1000):
        pacer.succeeded()
    assert pacer.limit == 16


def test_the_limit_never_drops_below_one():
    pacer = Pacer(2, patience=600)
    for _ in range(10):
        pacer.rate_limited(0.0, 0, pacer.epoch)
    assert pacer.limit == 1


def test_rows_are_sent_again_until_the_batch_has_paused_for_its_patience():
    pacer = Pacer(4, patience=10)
    answers = [pacer.rate_limited(0.0, 3, pacer.epoch) for _ in range(6)]
    assert answers == [True, True, True, True, False, False]  # 3, 6, 9, 12 s paused; then over 10 s
    pacer.succeeded()
    assert pacer.rate_limited(0.0, 3, pacer.epoch)  # a request got through: patience starts over


def test_only_rows_without_an_answer_twenty_in_a_row_mean_ching_is_unreachable():
    tally = Tally(None)
    lost = APIConnectionError("no answer", method="POST", path="/", may_have_reached_server=False)
    refused = BadRequestError(
        "400", method="POST", path="/", status_code=400, code="INVALID_FIELD", server_message="", issues=[], body=None
    )
    assert not any(tally.unreachable(lost) for _ in range(19))
    tally.succeeded("created", answer_lost=False)
    assert not any(tally.unreachable(lost) for _ in range(19))
    assert not tally.unreachable(refused)  # Ching answered: it is reachable
    assert not any(tally.unreachable(lost) for _ in range(19))
    assert tally.unreachable(lost)


def test_a_batch_call_leaves_its_429_to_the_pacer():
    common: dict[str, Any] = {"safe_to_repeat": True, "attempt": 1, "max_retries": 2, "remaining": 60.0, "status": 429}
    assert decide(**common).retry
    assert not decide(**common, retry_rate_limited=False).retry


@pytest.mark.parametrize(
    ("identify_by", "value", "key"),
    [
        ("email", " Tal@Example.COM ", "email:tal@example.com"),
        ("taxId", "515123456", "taxId:515123456"),
        ("phone", "054-987-6543", "phone:549876543"),
        ("phone", "+972 54 987 6543", "phone:549876543"),
    ],
)
def test_rows_that_may_name_one_customer_share_a_key(identify_by: str, value: str, key: str):
    field = {"email": "email", "taxId": "tax_id", "phone": "phone"}[identify_by]
    assert identity_key(identify_by, {field: value}) == key


def test_a_row_without_the_identifying_field_has_no_key():
    assert identity_key("email", {"name": "Tal"}) is None


def test_rows_naming_one_customer_take_turns_in_input_order():
    order = SameCustomerOrder()
    assert order.register("email:a", 0)
    assert order.register("email:b", 1)
    assert not order.register("email:a", 2)
    assert not order.register("email:a", 5)
    assert order.done("email:a") == 2
    assert order.done("email:a") == 5
    assert order.done("email:a") is None
    assert order.register("email:a", 9)  # the key is free again
    assert order.done("email:b") is None


def test_row_arguments_accept_both_spellings_and_drop_none():
    row = {"name": "Tal", "taxId": "515", "phone": None, "metadata": {"crm": "1"}}
    assert row_arguments(row) == {"name": "Tal", "tax_id": "515", "metadata": {"crm": "1"}}


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"name": "Tal", "emial": "x"}, "unknown field 'emial'"),
        ({"tax_id": "1", "taxId": "2"}, "given twice"),
        (["name", "Tal"], "must be a mapping"),
        ({"identify_by": "email"}, "unknown field"),
        ({"timeout": 1}, "unknown field"),
    ],
)
def test_rows_the_sdk_refuses(row: object, message: str):
    with pytest.raises(InvalidArgumentError, match=message):
        row_arguments(row)
