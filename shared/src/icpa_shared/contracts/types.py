"""Constrained scalar types: ids and codes, defined once, validated everywhere."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Final

from pydantic import AfterValidator, Field, StringConstraints

SCHEMA_VERSION: Final = "1.0"

MONEY_QUANT: Final = Decimal("0.01")
MONEY_ROUNDING: Final = ROUND_HALF_UP
MAX_MONEY: Final = Decimal("10000000.00")


def _npi_checksum_ok(npi: str) -> bool:
    # NPI check digit: Luhn over the 9-digit base prefixed with the card issuer id 80840.
    digits = [int(c) for c in "80840" + npi[:-1]]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10 == int(npi[-1])


def _check_npi(value: str) -> str:
    if not _npi_checksum_ok(value):
        raise ValueError("NPI check digit is wrong")
    return value


MAX_S3_KEY_BYTES: Final = 1024

# S3's bucket naming rules (general purpose buckets): 3-63 of [a-z0-9.-], a letter or digit at
# both ends, no "..", not an IPv4 address, none of the reserved prefixes and suffixes.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_IPV4 = re.compile(r"^[0-9]{1,3}(\.[0-9]{1,3}){3}$")
_RESERVED_BUCKET_PREFIXES: Final = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_BUCKET_SUFFIXES: Final = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def _check_bucket_name(value: str) -> str:
    if (
        not _BUCKET_NAME.match(value)
        or ".." in value
        or _IPV4.match(value)
        or value.startswith(_RESERVED_BUCKET_PREFIXES)
        or value.endswith(_RESERVED_BUCKET_SUFFIXES)
    ):
        raise ValueError("not an S3 bucket name")
    return value


def _check_s3_key(value: str) -> str:
    """Any key S3 accepts: 1 to 1024 bytes of UTF-8, any characters (spaces, '+', '%', quotes,
    backslashes, unicode). The key as S3 stores it, never URL-encoded."""
    try:
        size = len(value.encode("utf-8"))
    except UnicodeEncodeError:  # a lone surrogate is no UTF-8 at all
        raise ValueError("an S3 key is UTF-8") from None
    if not 1 <= size <= MAX_S3_KEY_BYTES:
        raise ValueError(f"an S3 key is 1 to {MAX_S3_KEY_BYTES} bytes of UTF-8")
    return value


def _check_s3_uri(value: str) -> str:
    # Split, don't match: a key may hold any character, and a regex over 1 KB keys must not
    # backtrack. The bucket ends at the first "/" (bucket names have none); the rest is the key.
    bucket, slash, key = value.removeprefix("s3://").partition("/")
    if not value.startswith("s3://") or not slash:
        raise ValueError("not an s3://bucket/key URI")
    try:
        _check_bucket_name(bucket)
        _check_s3_key(key)
    except ValueError as exc:
        raise ValueError(f"not an s3://bucket/key URI: {exc}") from None
    return value


ClaimId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$", strict=True)]
"""A claim's id as the payer knows it (from the file's identifier)."""

MemberId = Annotated[str, StringConstraints(pattern=r"^MBR[0-9]{6,10}$", strict=True)]
"""The patient's member id. PHI: never logged, never put in workflow state."""

SubscriberId = Annotated[str, StringConstraints(pattern=r"^SUB[0-9]{6,10}$", strict=True)]
"""The policy holder's id. PHI like MemberId."""

PolicyId = Annotated[str, StringConstraints(pattern=r"^POL-[A-Z0-9]{4,20}$", strict=True)]

Npi = Annotated[str, StringConstraints(pattern=r"^[12][0-9]{9}$", strict=True), AfterValidator(_check_npi)]
"""A National Provider Identifier: 10 digits, first 1 or 2, Luhn check digit."""

Icd10CmCode = Annotated[
    str,
    StringConstraints(pattern=r"^[A-TV-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$", strict=True),
]
"""An ICD-10-CM diagnosis code, with its dot (e.g. E11.9, S52.501A)."""

ProcedureCode = Annotated[str, StringConstraints(pattern=r"^([0-9]{4}[0-9FTU]|[A-CEGHJ-MP-V][0-9]{4})$", strict=True)]
"""A CPT code (5 digits, or 4 digits + F/T/U) or a HCPCS Level II code (letter + 4 digits)."""

Modifier = Annotated[str, StringConstraints(pattern=r"^[0-9A-Z]{2}$", strict=True)]

ReasonCode = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z0-9_]{2,63}$", strict=True)]
"""A machine-readable reason, e.g. EXCLUDED_SERVICE; each service documents the codes it emits."""

ReviewId = Annotated[str, StringConstraints(pattern=r"^REV-[0-9a-f]{32}$", strict=True)]

ReviewerId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9@._:-]{0,127}$", strict=True)]

S3Uri = Annotated[str, AfterValidator(_check_s3_uri)]
"""`s3://<bucket>/<key>` with the key exactly as S3 stores it (spaces and all, not URL-encoded)."""

S3BucketName = Annotated[
    str, StringConstraints(min_length=3, max_length=63, strict=True), AfterValidator(_check_bucket_name)
]

S3Key = Annotated[
    str, StringConstraints(min_length=1, max_length=MAX_S3_KEY_BYTES, strict=True), AfterValidator(_check_s3_key)
]
"""An object key as S3 stores it: 1-1024 bytes of UTF-8 (max_length counts characters, the
validator bytes)."""

ServiceVersion = Annotated[str, StringConstraints(pattern=r"^[0-9]+\.[0-9]+\.[0-9]+([.+-][0-9A-Za-z.-]+)?$")]

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$", strict=True)]

Currency = Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$", strict=True)]

Score = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]

ShortText = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
