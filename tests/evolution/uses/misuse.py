"""Mistakes ``mypy --strict`` must reject: each line marked ``# rejected`` gets exactly one error, no other line any."""

from __future__ import annotations

from ching_client import AsyncChing, Ching


def wire_name_in_mapping(ching: Ching) -> None:
    ching.customers.create(
        name="Tal",
        address={"line1": "1", "city": "TLV", "postalCode": "610", "country": "IL"},  # rejected
    )


def misspelt_key(ching: Ching) -> None:
    ching.customers.create(name="Tal", contacts=[{"full_name": "Dana", "rol": "billing"}])  # rejected


async def unknown_enum_value(ching: AsyncChing) -> None:
    await ching.customers.retrieve("cus_1", expand=["everything"])  # rejected


def wrong_parameter_type(ching: Ching) -> None:
    ching.customers.list(limit="5")  # rejected


def missing_header(ching: Ching) -> None:
    ching.prices.create(product_id="p", unit_amount=1, currency="usd")  # rejected


def wrong_result_type(ching: Ching) -> str:
    return ching.prices.retrieve("price_1").unit_amount  # rejected


def wrong_item_type(ching: Ching) -> list[str]:
    return [customer for customer in ching.customers.list(limit=10)]  # rejected


async def awaiting_a_pager(ching: AsyncChing) -> None:
    await ching.customers.list(limit=10)  # rejected
