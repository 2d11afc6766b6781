"""What every view needs: the storage, the county (its views caught up, for a caller
allowed to see it), a city's counties, the two times, cursors."""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeVar
from uuid import UUID

from flask import current_app, g

from infra.storage import County, Storage, require_county_code
from infra.views.schema import Moment
from infra.views.tables import Reads
from interfaces.http.auth import require_city, require_county
from interfaces.http.problems import Problem

# China Standard Time has had no daylight saving since 1991: a fixed offset suffices.
CHINA = timezone(timedelta(hours=8), "Asia/Shanghai")

CITY_CODE = re.compile(r"^[0-9]{4}$")

T = TypeVar("T")


def storage() -> Storage:
    return current_app.config["STORAGE"]


def county(code: str) -> County:
    return storage().county(code)


def fresh(code: str, capability: str = "read") -> County:
    """The county, its views caught up with every committed event (the position
    they hold is kept for the request: ``views_position``)."""
    require_county(code, capability)
    place = county(code)
    g.views_position = place.refresh()
    return place


def fresh_read(code: str, read: Callable[[County, Reads], T], capability: str = "read") -> T:
    """``read`` of the county, from views caught up with every committed event, with
    the check that they are asked with its queries (``County.read_current``)."""
    require_county(code, capability)
    place = county(code)
    g.views_position, answer = place.read_current(lambda reads: read(place, reads))
    return answer


def views_position() -> int:
    """The position the views of the county ``fresh`` gave held when it gave it."""
    position: int = g.views_position
    return position


def city_counties(city_code: str, since: date, until: date) -> dict[str, County]:
    """The counties the city had at some time from ``since`` to ``until``, their views
    current, for the operator or the city's key."""
    if not CITY_CODE.fullmatch(city_code):
        raise Problem(404, "Not Found", f"no city {city_code!r}")
    require_city(city_code)
    counties = {}
    for code in storage().directory.city_tenant_codes(city_code, since, until):
        place = storage().county(require_county_code(code))
        place.refresh()
        counties[code] = place
    return counties


def today_in_china() -> date:
    return datetime.now(CHINA).date()


def moment(args: dict[str, Any]) -> Moment:
    known_at = args.get("known_at") or datetime.now(timezone.utc)
    if known_at.tzinfo is None:
        raise Problem(422, "Unprocessable Entity", "known_at needs a time zone",
                      errors={"known_at": ["give an RFC 3339 time with offset, e.g. Z"]})
    try:  # the stores compare in UTC, and 9999-12-31T23:59-12:00 is past its end
        known_at.astimezone(timezone.utc)
    except OverflowError:
        raise Problem(422, "Unprocessable Entity", "known_at is out of range",
                      errors={"known_at": ["must be a time before 9999-12-31 in UTC"]}) from None
    return Moment(as_of=args.get("as_of") or today_in_china(), known_at=known_at)


def encode_cursor(listing: str, after: str | int) -> str:
    """An opaque cursor: which list it pages, and the key of the last item given."""
    return base64.urlsafe_b64encode(json.dumps([listing, after]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, listing: str, valid: Callable[[Any], bool]) -> Any:
    """The key a cursor of ``listing`` carries, or None; 400 for any other cursor."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, after = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if name == listing and valid(after):
            return after
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError, RecursionError):
        pass
    raise Problem(400, "Bad Request", "cursor is not one this API gave out for this list",
                  errors={"cursor": ["invalid cursor"]})


def is_position(value: Any) -> bool:
    return type(value) is int and 0 <= value < 2**63


def is_uuid_text(value: Any) -> bool:
    try:
        return isinstance(value, str) and str(UUID(value)) == value
    except ValueError:
        return False
