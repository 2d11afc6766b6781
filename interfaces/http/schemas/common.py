"""The fields and base classes every resource's schemas are built from: what a
date, a name, a document and a page are, and the fields that recur — a command's
effective date and authority, the two times of a read, a page's cursor."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema


class Pattern(validate.Regexp):
    """A pattern the whole value must match. Written ``^…$``, the OpenAPI document
    carries it as clients' (ECMA-262) regular expressions read it; checked with
    ``fullmatch``, since Python's ``$`` alone would let a trailing newline through."""

    def __call__(self, value: Any) -> Any:
        if self.regex.fullmatch(value) is None:
            raise ValidationError(self._format_error(value))
        return value


NAME = validate.Length(min=1, max=200)
DIGITS = Pattern(r"^[0-9]+$", error="digits only")
# A NUL cannot even be stored in PostgreSQL.
PRINTABLE = Pattern(r"^[^\x00-\x1f\x7f]*$", error="control characters are not allowed")


class Text(fields.String):
    """A string without control characters (and the document says so)."""

    def __init__(self, *, validate: Any = None, **kwargs: Any):
        given = [] if validate is None else [validate] if callable(validate) else list(validate)
        super().__init__(validate=[PRINTABLE, *given], **kwargs)


class Name(Text):
    """The name of a unit, body, person, community or catalogue item: 1–200 characters."""

    def __init__(self, **kwargs: Any):
        super().__init__(validate=NAME, **kwargs)


class Day(fields.Date):
    """A calendar date (YYYY-MM-DD) before 9999-12-31, the open end of every timeline;
    every date of a body or a query string is read by this field."""

    LAST = date(9999, 12, 30)
    # Python reads ISO 8601's other forms too (20110101, 2011-W01-1): not dates here.
    FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        if isinstance(value, str) and not self.FORM.fullmatch(value):
            raise ValidationError("must be a date written YYYY-MM-DD")
        day = super()._deserialize(value, attr, data, **kwargs)
        if day > self.LAST:
            raise ValidationError(f"must be on or before {self.LAST}")
        return day


class Flag(fields.Boolean):
    """A JSON true or false, nothing that merely reads as one ("yes", 1)."""

    def __init__(self, **kwargs: Any):
        super().__init__(truthy={True}, falsy={False}, **kwargs)


class Counts(fields.Dict):
    """Counts by name (of a change type, a reason …)."""

    def __init__(self, **kwargs: Any):
        super().__init__(keys=fields.String(), values=fields.Integer(), **kwargs)


class Strict(Schema):
    """Bodies: unknown fields are refused (422), never silently dropped."""

    class Meta:
        unknown = RAISE


class Lenient(Schema):
    """Query strings: unknown parameters are ignored."""

    class Meta:
        unknown = EXCLUDE


class Window(Lenient):
    """Effective dates after ``from``, up to and including ``to``."""

    from_ = Day(required=True, data_key="from")
    to = Day(required=True)

    @validates_schema
    def _in_order(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if data["to"] < data["from_"]:
            raise ValidationError("must not be before from", "to")


class AuthoritySchema(Strict):
    """The authorising document (文件号)."""

    document_no = Text(required=True, validate=validate.Length(min=1, max=100))
    issued_by = Text(validate=validate.Length(max=200), allow_none=True)
    issued_on = Day(allow_none=True)


class Document(fields.Nested):
    """A document a request may cite (the authority of a change, a consent), or null."""

    def __init__(self, **kwargs: Any):
        super().__init__(AuthoritySchema, allow_none=True, load_default=None, **kwargs)


# -- What commands carry ------------------------------------------------------


class Dated(Strict):
    """A command that holds from a date."""

    effective_date = Day(required=True)


class Command(Dated):
    """A command that holds from a date and may cite the document that decided it."""

    authority = Document()


class ReceiptOut(Schema):
    """What every command answers (``application.ledger.Receipt``)."""

    change_id = fields.UUID()
    type = fields.String()
    effective_date = Day(allow_none=True)
    recorded_at = fields.DateTime()
    created_unit_ids = fields.List(fields.UUID())
    affected_unit_ids = fields.List(fields.UUID())
    id = fields.UUID(allow_none=True)


# -- What reads take and answer --------------------------------------------------


class Moment(Lenient):
    as_of = Day(load_default=None, metadata={"description": "effective date; default today (Asia/Shanghai)"})
    known_at = fields.AwareDateTime(
        load_default=None, default_timezone=None,
        metadata={"description": "recorded time (RFC 3339); default now"},
    )


class ReadAt(Schema):
    """An answer read on ``as_of`` as known at ``known_at``: it says both."""

    as_of = Day()
    known_at = fields.DateTime()


class Page(Lenient):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    cursor = Text(load_default=None, validate=validate.Length(max=200))


class CursorPage(Schema):
    """A page of a list; the cursor of the next page, null on the last."""

    next_cursor = fields.String(allow_none=True)
