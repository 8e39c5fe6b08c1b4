"""Path, query and header parameters that several route modules share, declared once, and the
JSON body types that follow the spec's JSON Schema rather than pydantic's lax coercions."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path, Query, Request
from pydantic import AfterValidator, BeforeValidator, Strict

from ..errors import Unprocessable


def _reject_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refuse it up front (a 4xx, never a database 500).
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


#: A string without NUL characters: every text that reaches the database is one.
Text = Annotated[str, AfterValidator(_reject_nul)]
#: An id in the path (``tok_…``, ``crd_…``, ``upl_…``): looked up in the database.
IdPath = Annotated[Text, Path()]

BucketRef = Annotated[str, Path(min_length=1, max_length=100)]
PageSize = Annotated[int, Query(ge=1, le=1000)]
Cursor = Annotated[str | None, Query(max_length=2048)]
ContentMD5 = Annotated[str | None, Header(alias="Content-MD5", max_length=64)]
ChecksumSHA256 = Annotated[str | None, Header(alias="X-Checksum-SHA256", max_length=64)]
ChecksumCRC32C = Annotated[str | None, Header(alias="X-Checksum-CRC32C", max_length=8)]


def _integral(value: object) -> object:
    """An integral float (``3600.0``) as an int: JSON Schema counts it as an integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: A JSON body integer as the spec's ``type: integer`` means it: an int or an integral float,
#: never a boolean or a numeric string (pydantic's lax mode would read ``false`` as 0).
JsonInt = Annotated[int, BeforeValidator(_integral), Strict()]


async def no_null_body(request: Request) -> None:
    """Refuse a literal JSON ``null`` body where the body is optional but must be an object.

    FastAPI reads an optional body of ``null`` like a missing one; the spec allows only an
    absent body or an object. Raises a 422 ``validation_error`` naming the body.
    """
    if (await request.body()).strip() == b"null":
        raise Unprocessable(
            "validation_error",
            "body: must be a JSON object (or no body at all), not null",
            errors=[{"loc": ["body"], "msg": "must be an object, not null", "type": "type_error"}],
        )


def refuse_nulls(changes: dict[str, object], nullable: frozenset[str]) -> None:
    """Refuse a JSON ``null`` for a field of a partial update the spec does not let be null
    (pydantic reads it like an absent field). Raises a 422 ``validation_error`` naming it."""
    for name, value in changes.items():
        if value is None and name not in nullable:
            raise Unprocessable(
                "validation_error",
                f"body.{name}: must not be null",
                errors=[{"loc": ["body", name], "msg": "must not be null", "type": "type_error"}],
            )
