"""The body fields whose rules Ching's docs define beyond the spec: phone normalisation, absolute URLs,
base64 images under 2 MB, empty strings that clear a field. The built-in rules check these fields by
hand (``_rules``); the spec checks every other field an operation's schema lists."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

from ._phone import normalize_phone
from ._validate import FieldError, FieldSpec

MAX_IMAGE_BYTES = 2 * 1024 * 1024 - 1
"""Largest decoded upload accepted: the docs say "under ~2 MB"."""

IMAGE_TYPES = ("image/png", "image/jpeg", "image/webp", "image/gif")
FILENAME_PATTERN = r"[A-Za-z0-9_-]{1,48}"
IDENTIFY_BY = ("email", "taxId", "phone")


def phone(value: str) -> str:
    """Normalise a phone number to E.164 or report it as invalid."""
    try:
        return normalize_phone(value)
    except ValueError as exc:
        raise FieldError("Invalid phone number") from exc


def url(value: str) -> str:
    """Accept absolute http(s) URLs only."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
        raise FieldError("Invalid url")
    return value


def image_content(value: str) -> bytes:
    """Decode strict base64 (no `data:` prefix) of a non-empty image under 2 MB."""
    if value.startswith("data:"):
        raise FieldError("Send the bare base64 payload, without a data: prefix")
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FieldError("Invalid base64") from exc
    if not data:
        raise FieldError("Image is empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise FieldError(f"Image is too large: {len(data)} bytes, the limit is under 2 MB")
    return data


def _customer_fields(*, name_required: bool) -> tuple[FieldSpec, ...]:
    """The writable customer fields; empty strings clear the nullable ones."""
    return (
        FieldSpec("name", required=name_required, min_length=1),
        FieldSpec("email", empty_is_null=True),
        FieldSpec("phone", empty_is_null=True, convert=phone),
        FieldSpec("locale"),
        FieldSpec("taxId", empty_is_null=True),
        FieldSpec("metadata", kind="metadata"),
    )


CUSTOMER_CREATE = _customer_fields(name_required=True)
CUSTOMER_UPDATE = _customer_fields(name_required=False)
CUSTOMER_UPSERT = (
    FieldSpec("identifyBy", required=True, choices=IDENTIFY_BY),
    *_customer_fields(name_required=False),
)

PRODUCT_CREATE = (
    FieldSpec("name", required=True, min_length=1),
    FieldSpec("description"),
    FieldSpec("image_url", convert=url),
    FieldSpec("features", kind="features"),
    FieldSpec("metadata", kind="metadata"),
)
PRODUCT_UPDATE = (
    FieldSpec("name", min_length=1),
    FieldSpec("description", nullable=True),
    FieldSpec("image_url", nullable=True, convert=url),
    FieldSpec("features", kind="features", nullable=True),
    FieldSpec("active", kind="boolean"),
    FieldSpec("metadata", kind="metadata"),
)
PRODUCT_UPLOAD_IMAGE = (
    FieldSpec("content", required=True, min_length=1, convert=image_content),
    FieldSpec("content_type", choices=IMAGE_TYPES),
    FieldSpec("filename", pattern=FILENAME_PATTERN),
)
