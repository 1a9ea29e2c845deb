"""Phone normalisation to E.164, reading local numbers as Israeli (`054-987-6543` -> `+972549876543`)."""

from __future__ import annotations

import re

from ._extras import PHONE_PURPOSE, MissingExtraError

_PHONE_CHARS = re.compile(r"^\+?[0-9 ().-]{3,32}$")


def normalize_phone(raw: str, region: str = "IL") -> str:
    """Return `raw` in E.164, or raise ValueError when it is not a plausible phone number."""
    if not _PHONE_CHARS.match(raw.strip()):
        raise ValueError("Invalid phone number")
    try:
        import phonenumbers
    except ImportError:  # FakeChing checks at construction; this is for a package removed since
        raise MissingExtraError("phonenumbers", PHONE_PURPOSE) from None

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("Invalid phone number") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError("Invalid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
