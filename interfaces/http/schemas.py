"""Request and response shapes of API.md, as marshmallow schemas (and so OpenAPI)."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from marshmallow import (
    EXCLUDE, RAISE, Schema, ValidationError, fields, post_load, validate, validates_schema,
)

from application.ledger import CommunitySpec
from domain.bodies import ASSESSMENT_MODES, DESIGN_UNIFICATIONS, BodyType, Role
from domain.kinds import AREA_TYPES, UnitKind
from domain.people import Rank, Source

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


class Strict(Schema):
    """Bodies: unknown fields are refused (422), never silently dropped."""

    class Meta:
        unknown = RAISE


class Lenient(Schema):
    """Query strings: unknown parameters are ignored."""

    class Meta:
        unknown = EXCLUDE


def _stripped_name(**kwargs: Any) -> Text:
    return Text(validate=NAME, **kwargs)


class AuthoritySchema(Strict):
    """The authorising document (文件号)."""

    document_no = Text(required=True, validate=validate.Length(min=1, max=100))
    issued_by = Text(validate=validate.Length(max=200), allow_none=True)
    issued_on = Day(allow_none=True)


# -- Tenants and keys ------------------------------------------------------


class TenantIn(Strict):
    unlisted = fields.Boolean(load_default=False, metadata={
        "description": "a county that no division release lists (2016–2023): onboarded "
                       "only when this says so"})
    code = fields.String(required=True, validate=[validate.Length(equal=6), DIGITS], metadata={
        "description": "the county's code: one a division release lists (422 otherwise, "
                       "unless unlisted; then a province's two digits first, never ending "
                       "in 00)"})
    name = _stripped_name(required=True)
    city_code = fields.String(required=True, validate=[validate.Length(equal=4), DIGITS])


class TenantOut(Schema):
    code = fields.String()
    name = fields.String()
    city_code = fields.String()
    admin_key = fields.String()


class CountyCode(Schema):
    code = fields.String()
    name = fields.String()
    city_code = fields.String()
    from_ = Day(data_key="from", attribute="from", allow_none=True,
                metadata={"description": "null: from the start"})
    to = Day(allow_none=True, metadata={"description": "the first day it no longer held"})


class TenantDetail(Schema):
    code = fields.String(metadata={"description": "its code now (or when it ended)"})
    name = fields.String()
    city_code = fields.String()
    codes = fields.List(fields.Nested(CountyCode))
    status = fields.String(validate=validate.OneOf(["active", "ended"]))
    ended_on = Day(allow_none=True)
    successor = fields.String(allow_none=True, metadata={
        "description": "the county that holds most of its units' names after it ended"})


class Page(Lenient):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    cursor = Text(load_default=None, validate=validate.Length(max=200))


class TenantSummary(Schema):
    code = fields.String()
    name = fields.String()
    city_code = fields.String()


class TenantPage(Schema):
    items = fields.List(fields.Nested(TenantSummary))
    next_cursor = fields.String(allow_none=True)


class KeyIn(Strict):
    role = fields.String(
        required=True, validate=validate.OneOf(["admin", "editor", "viewer", "auditor", "integrator"])
    )
    label = Text(validate=validate.Length(max=200), load_default=None)


class CityKeyIn(Strict):
    label = Text(validate=validate.Length(max=200), load_default=None)


class KeyOut(Schema):
    key_id = fields.String()
    key = fields.String()
    role = fields.String()
    label = fields.String(allow_none=True)


ROUNDING = validate.OneOf(["up", "down", "nearest"])


class PolicyPatch(Strict):
    effective_date = Day(metadata={"description": "from when the change holds; default today"})
    plans_required = fields.Boolean(truthy={True}, falsy={False})
    max_veto_items = fields.Integer(strict=True, validate=validate.Range(min=0, max=100))
    coverage_target = fields.Integer(strict=True, validate=validate.Range(min=0, max=100000))
    households_per_staff = fields.Integer(strict=True, validate=validate.Range(min=1, max=100000))
    households_rounding = fields.String(validate=ROUNDING)
    floating_per_staff = fields.Integer(strict=True, validate=validate.Range(min=1, max=1000000))
    floating_rounding = fields.String(validate=ROUNDING)
    minimum_staff = fields.Integer(strict=True, validate=validate.Range(min=0, max=1000))


class PolicyOut(Schema):
    as_of = Day()
    plans_required = fields.Boolean()
    max_veto_items = fields.Integer()
    coverage_target = fields.Integer()
    households_per_staff = fields.Integer()
    households_rounding = fields.String()
    floating_per_staff = fields.Integer()
    floating_rounding = fields.String()
    minimum_staff = fields.Integer()


# -- Reads take two times ----------------------------------------------------


class Moment(Lenient):
    as_of = Day(load_default=None, metadata={"description": "effective date; default today (Asia/Shanghai)"})
    known_at = fields.AwareDateTime(
        load_default=None, default_timezone=None,
        metadata={"description": "recorded time (RFC 3339); default now"},
    )


class UnitQuery(Moment, Page):
    kind = fields.String(validate=validate.OneOf([k.value for k in UnitKind]), load_default=None)
    parent_id = fields.UUID(load_default=None)
    status = fields.String(validate=validate.OneOf(["active", "all"]), load_default="active")
    q = Text(validate=validate.Length(min=1, max=100), load_default=None)


class DiffQuery(Lenient):
    from_ = Day(required=True, data_key="from")
    to = Day(required=True)
    known_at = fields.AwareDateTime(load_default=None)


class ChangeQuery(Page):
    from_ = Day(load_default=None, data_key="from")
    to = Day(load_default=None)
    type = Text(load_default=None, validate=validate.Length(max=40))


# -- Units ------------------------------------------------------------------


class UnitIn(Strict):
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in UnitKind]))
    name = _stripped_name(required=True)
    code = fields.String(validate=[validate.Length(min=9, max=12), DIGITS], allow_none=True, load_default=None)
    parent_id = fields.UUID(allow_none=True, load_default=None)
    effective_date = Day(required=True)
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)


class RenameIn(Strict):
    name = _stripped_name(required=True)
    effective_date = Day(required=True)
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)


class MoveIn(Strict):
    parent_id = fields.UUID(required=True)
    effective_date = Day(required=True)
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)


class DissolutionIn(Strict):
    effective_date = Day(required=True)
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)


COUNT = validate.Range(min=0, max=100_000_000)


class PopulationIn(Strict):
    effective_date = Day(required=True)
    households = fields.Integer(required=True, strict=True, validate=COUNT)
    residents = fields.Integer(strict=True, validate=COUNT, allow_none=True, load_default=None)
    floating = fields.Integer(required=True, strict=True, validate=COUNT)


class Population(Schema):
    households = fields.Integer(allow_none=True)
    residents = fields.Integer(allow_none=True)
    floating = fields.Integer(allow_none=True)


class BodyRef(Schema):
    id = fields.UUID()
    type = fields.String()
    name = fields.String()


class UnitOut(Schema):
    id = fields.UUID()
    kind = fields.String()
    name = fields.String()
    code = fields.String(allow_none=True)
    parent_id = fields.UUID(allow_none=True)
    status = fields.String()
    established_on = Day()
    ceased_on = Day(allow_none=True)
    federation_id = fields.UUID(allow_none=True)
    member_ids = fields.List(fields.UUID())
    plan_id = fields.UUID(allow_none=True)
    population = fields.Nested(Population)
    bodies = fields.List(fields.Nested(BodyRef))
    version = fields.Integer(allow_none=True)


class UnitPage(Schema):
    items = fields.List(fields.Nested(UnitOut))
    next_cursor = fields.String(allow_none=True)


class TreeNode(Schema):
    id = fields.UUID()
    kind = fields.String()
    name = fields.String()
    code = fields.String(allow_none=True)
    federation_id = fields.UUID(allow_none=True, metadata={"description": "a village's 联居 on the date"})
    children = fields.List(fields.Nested(lambda: TreeNode()))


class TreeOut(Schema):
    as_of = Day()
    known_at = fields.DateTime()
    units = fields.List(fields.Nested(TreeNode))


class HistoryEntry(Schema):
    position = fields.Integer()
    type = fields.String()
    effective_date = Day()
    recorded_at = fields.DateTime()
    actor = fields.String()
    change_id = fields.UUID()
    data = fields.Dict()


class HistoryOut(Schema):
    unit_id = fields.UUID()
    known_at = fields.DateTime()
    items = fields.List(fields.Nested(HistoryEntry))


class LineageEntry(Schema):
    unit_id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    change_id = fields.UUID()
    change_type = fields.String()
    effective_date = Day()
    lineage = fields.String(validate=validate.OneOf(["exact", "group"]), metadata={
        "description": "group: the change (a consolidation known from a release) cannot say "
                       "which predecessor went into which successor"})
    tenant = fields.String(allow_none=True, metadata={
        "description": "the county the unit lives in, when it is another county's "
                       "(GET /v1/tenants/{tenant}/units/{unit_id}); null: this county"})


class LineageOut(Schema):
    unit_id = fields.UUID()
    predecessors = fields.List(fields.Nested(LineageEntry))
    successors = fields.List(fields.Nested(LineageEntry))


class DiffEntry(Schema):
    unit_id = fields.UUID()
    name = fields.String()
    kind = fields.String()
    effective_date = Day()
    recorded_at = fields.DateTime()
    actor = fields.String()
    change_id = fields.UUID()


class DiffOut(Schema):
    from_ = Day(data_key="from")
    to = Day()
    known_at = fields.DateTime()
    established = fields.List(fields.Nested(DiffEntry))
    ceased = fields.List(fields.Nested(DiffEntry))
    renamed = fields.List(fields.Nested(DiffEntry))
    moved = fields.List(fields.Nested(DiffEntry))
    federated = fields.List(fields.Nested(DiffEntry))
    recoded = fields.List(fields.Nested(DiffEntry), metadata={
        "description": "units that took a new statistical code"})
    reclassified = fields.List(fields.Nested(DiffEntry), metadata={
        "description": "towns that became another kind (撤镇设街道 …)"})


# -- Changes ----------------------------------------------------------------


class CommunityIn(Strict):
    name = _stripped_name(required=True)
    code = fields.String(validate=[validate.Length(equal=12), DIGITS], allow_none=True, load_default=None)
    parent_id = fields.UUID(allow_none=True, load_default=None)

    @post_load
    def _spec(self, data: dict[str, Any], **_: Any) -> CommunitySpec:
        return CommunitySpec(**data)


CHANGE_TYPES = ["conversion", "merger", "federation", "federation_join", "federation_leave"]
VILLAGES = validate.Length(min=1, max=100)


class ChangeIn(Strict):
    """One of the five structural changes; which fields apply depends on ``type``."""

    type = fields.String(required=True, validate=validate.OneOf(CHANGE_TYPES))
    effective_date = Day(required=True)
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)
    village_id = fields.UUID()
    village_ids = fields.List(fields.UUID(), validate=VILLAGES)
    community = fields.Nested(CommunityIn)
    federation = fields.Nested(CommunityIn)
    federation_id = fields.UUID()

    NEEDS = {
        "conversion": ("village_id", "community"),
        "merger": ("village_ids", "community"),
        "federation": ("village_ids", "federation"),
        "federation_join": ("federation_id", "village_id"),
        "federation_leave": ("federation_id", "village_id"),
    }
    OPTIONAL = {"type", "effective_date", "authority"}

    @validates_schema
    def _fits_type(self, data: dict[str, Any], **_: Any) -> None:
        needs = self.NEEDS.get(data.get("type", ""))
        if needs is None:
            return
        errors: dict[str, list[str]] = {}
        for name in needs:
            if name not in data:
                errors[name] = [f"required for a {data['type']}"]
        for name in set(data) - set(needs) - self.OPTIONAL:
            errors[name] = [f"not part of a {data['type']}"]
        if errors:
            raise ValidationError(errors)


class ReceiptOut(Schema):
    change_id = fields.UUID()
    type = fields.String()
    effective_date = Day(allow_none=True)
    recorded_at = fields.DateTime()
    created_unit_ids = fields.List(fields.UUID())
    affected_unit_ids = fields.List(fields.UUID())
    id = fields.UUID(allow_none=True)


class ChangeOut(Schema):
    change_id = fields.UUID()
    type = fields.String()
    effective_date = Day()
    recorded_at = fields.DateTime()
    actor = fields.String()
    authority = fields.Dict(allow_none=True)
    created_unit_ids = fields.List(fields.UUID())
    affected_unit_ids = fields.List(fields.UUID())
    retracted_at = fields.DateTime(allow_none=True)
    retracted_by = fields.UUID(allow_none=True, metadata={"description": "the retraction's change id"})
    retraction_reason = fields.String(allow_none=True)
    source = fields.String(allow_none=True, metadata={
        "description": "release:<year> when a statistical release showed the change; "
                       "null for the county's own acts"})


class RetractionIn(Strict):
    reason = Text(required=True, validate=validate.Length(min=1, max=1000))


class ChangePage(Schema):
    items = fields.List(fields.Nested(ChangeOut))
    next_cursor = fields.String(allow_none=True)


class PlanIn(Strict):
    area_type = fields.String(
        required=True, validate=validate.OneOf(sorted(k.value for k in AREA_TYPES))
    )
    name = _stripped_name(required=True)
    village_ids = fields.List(fields.UUID(), required=True, validate=validate.Length(min=1, max=1000))
    effective_date = Day(required=True)
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)


# -- The event feed ---------------------------------------------------------


class EventQuery(Lenient):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    types = Text(load_default=None, validate=validate.Length(min=1, max=2000),
                 metadata={"description": "comma-separated event types, e.g. unit.renamed,change.recorded"})
    wait = fields.Float(load_default=0, validate=validate.Range(min=0, max=30),
                        metadata={"description": "seconds to wait for a new event when there is none"})


class StreamQuery(Lenient):
    after = fields.Integer(load_default=None, validate=validate.Range(min=0, max=2**62))
    types = Text(load_default=None, validate=validate.Length(min=1, max=2000))


class LagOut(Schema):
    head = fields.Integer(metadata={"description": "the county's last event position"})
    views = fields.Integer(metadata={"description": "the position its read views have"})
    lag = fields.Integer(metadata={"description": "positions behind (ids may skip numbers)"})


class CloudEvent(Schema):
    specversion = fields.String()
    id = fields.String(metadata={"description": "<deployment id>-<county>-<position>: "
                                                "unique across deployments"})
    source = fields.String(metadata={"description": "absolute URI of the county in this "
                                                    "deployment (GRASSROOTS_EVENT_SOURCE)"})
    type = fields.String()
    subject = fields.String()
    time = fields.DateTime()
    datacontenttype = fields.String()
    data = fields.Dict()
    position = fields.Integer()
    effectivedate = Day(metadata={"description": "the event's effective date; absent when it "
                                                 "has none (a person's events)"})


class EventPage(Schema):
    items = fields.List(fields.Nested(CloudEvent))
    next_after = fields.Integer()


# -- Audit ------------------------------------------------------------------


class VerificationOut(Schema):
    ok = fields.Boolean()
    events_checked = fields.Integer()
    head = fields.String(allow_none=True, metadata={"description": "hex of the last link"})
    first_bad_position = fields.Integer(allow_none=True)
    head_position = fields.Integer(allow_none=True)


class ReplayIn(Strict):
    as_of = Day(load_default=None)
    known_at = fields.AwareDateTime(load_default=None)


class ReplayOut(Schema):
    events_replayed = fields.Integer()
    units_compared = fields.Integer()
    matches = fields.Boolean()
    differences = fields.List(fields.Dict())


# -- Bodies, people and posts -----------------------------------------------


class BodyIn(Strict):
    """A body of a unit; a dispatched agency and a service centre carry their own facts."""

    TYPE_FIELDS = {
        BodyType.DISPATCHED_AGENCY.value: {"department", "assessment_mode"},
        BodyType.SERVICE_CENTRE.value: {"hall_area", "windows", "unifications"},
    }
    REQUIRED = {BodyType.DISPATCHED_AGENCY.value: {"department", "assessment_mode"}}

    type = fields.String(required=True, validate=validate.OneOf([t.value for t in BodyType]))
    name = _stripped_name(allow_none=True, load_default=None)
    effective_date = Day(required=True)
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)
    department = Text(validate=validate.Length(min=1, max=200),
                      metadata={"description": "the county department (县职能部门) that owns it"})
    assessment_mode = fields.String(validate=validate.OneOf(ASSESSMENT_MODES))
    hall_area = fields.Integer(strict=True, validate=validate.Range(min=0, max=1_000_000),
                               metadata={"description": "the service hall's area in m²"})
    windows = fields.List(Text(validate=validate.Length(min=1, max=50)),
                          validate=validate.Length(max=100))
    unifications = fields.List(fields.String(validate=validate.OneOf(DESIGN_UNIFICATIONS)),
                               validate=validate.Length(max=len(DESIGN_UNIFICATIONS)))

    @validates_schema
    def _type_fields(self, data: dict[str, Any], **_: Any) -> None:
        allowed = self.TYPE_FIELDS.get(data.get("type", ""), set())
        errors = {name: [f"not part of a {data.get('type')}"]
                  for name in set().union(*self.TYPE_FIELDS.values()) - allowed if name in data}
        errors.update({name: ["required for this type of body"]
                       for name in self.REQUIRED.get(data.get("type", ""), set())
                       if name not in data})
        if errors:
            raise ValidationError(errors)


class AbolitionIn(Strict):
    effective_date = Day(required=True)
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)


class PostOut(Schema):
    id = fields.UUID()
    person_id = fields.UUID()
    person_name = fields.String(allow_none=True, metadata={"description": "null once erased"})
    person_erased = fields.Boolean()
    role = fields.String()
    full_time = fields.Boolean()
    concurrent = fields.Boolean()
    since = Day()
    until = Day(allow_none=True, metadata={"description": "first day no longer held"})


class BodyOut(Schema):
    id = fields.UUID()
    unit_id = fields.UUID()
    type = fields.String()
    name = fields.String()
    attributes = fields.Dict()
    established_on = Day()
    abolished_on = Day(allow_none=True)
    posts = fields.List(fields.Nested(PostOut))


class RosterOut(Schema):
    unit_id = fields.UUID()
    as_of = Day()
    known_at = fields.DateTime()
    bodies = fields.List(fields.Nested(BodyOut))


class PersonIn(Strict):
    name = _stripped_name(required=True)
    rank = fields.String(load_default=Rank.NONE.value,
                         validate=validate.OneOf([r.value for r in Rank]))
    source = fields.String(load_default=Source.OTHER.value,
                           validate=validate.OneOf([s.value for s in Source]))


class PersonOut(Schema):
    id = fields.UUID()
    name = fields.String(allow_none=True, metadata={"description": "null once erased"})
    rank = fields.String()
    source = fields.String()
    erased = fields.Boolean()


class PersonPostOut(PostOut):
    body_id = fields.UUID()
    unit_id = fields.UUID()


class PersonPostsOut(Schema):
    person_id = fields.UUID()
    as_of = Day()
    known_at = fields.DateTime()
    items = fields.List(fields.Nested(PersonPostOut))


ROLES = validate.OneOf([r.value for r in Role])


class PostIn(Strict):
    person_id = fields.UUID(required=True)
    body_id = fields.UUID(required=True)
    role = fields.String(required=True, validate=ROLES)
    effective_date = Day(required=True)
    full_time = fields.Boolean(truthy={True}, falsy={False}, load_default=False)
    concurrent = fields.Boolean(truthy={True}, falsy={False}, load_default=False)
    consent = fields.Nested(AuthoritySchema, allow_none=True, load_default=None, metadata={
        "description": "H6: the host town party committee's written consent"})
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)


class PostEndIn(Strict):
    effective_date = Day(required=True, metadata={"description": "first day no longer held"})
    reason = Text(validate=validate.Length(max=1000), allow_none=True, load_default=None)
    consent = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)


class ReassignmentTarget(Strict):
    body_id = fields.UUID(required=True)
    role = fields.String(required=True, validate=ROLES)
    full_time = fields.Boolean(truthy={True}, falsy={False})
    concurrent = fields.Boolean(truthy={True}, falsy={False})


class ReassignmentIn(Strict):
    post_id = fields.UUID(required=True)
    to = fields.Nested(ReassignmentTarget, required=True)
    effective_date = Day(required=True)
    consent = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)


# -- Assessment catalogues, arrangements and reports ----------------------------


class CatalogueItem(Strict):
    title = _stripped_name(required=True)
    function = fields.String(required=True, validate=validate.Length(min=1, max=100),
                             metadata={"description": "the town function the item assesses"})
    veto = fields.Boolean(truthy={True}, falsy={False}, load_default=False,
                          metadata={"description": "a one-vote-veto item (一票否决)"})
    department = Text(validate=validate.Length(max=200), allow_none=True, load_default=None,
                      metadata={"description": "the county department whose own function it is"})


class CatalogueIn(Strict):
    year = fields.Integer(required=True, strict=True, validate=validate.Range(min=1949, max=9999))  # norms.YEARS
    items = fields.List(fields.Nested(CatalogueItem), required=True,
                        validate=validate.Length(min=1, max=500))
    effective_date = Day(required=True)
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)


class CatalogueOut(Schema):
    id = fields.UUID()
    town_id = fields.UUID()
    year = fields.Integer()
    since = Day()
    items = fields.List(fields.Dict())


class ArrangementIn(Strict):
    zone_id = fields.UUID(required=True)
    subdistrict_id = fields.UUID(required=True, metadata={
        "description": "the sub-district (or town) the zone runs with"})
    mode = fields.String(required=True, validate=validate.OneOf(["one_team", "coordinated"]),
                         metadata={"description": "one_team 区街合一, coordinated 区街统分"})
    effective_date = Day(required=True)
    authority = fields.Nested(AuthoritySchema, allow_none=True, load_default=None)


class CoveredOut(Schema):
    urban_community = fields.Integer()
    rural_community = fields.Integer()
    federation = fields.Integer()


class CoverageOut(Schema):
    as_of = Day()
    known_at = fields.DateTime()
    villages = fields.Integer()
    covered = fields.Nested(CoveredOut)
    uncovered = fields.Integer()
    coverage_ratio = fields.Float()
    rural_communities = fields.Integer()
    target = fields.Integer()
    counties = fields.List(fields.String(), metadata={"description": "city view: the counties summed"})


class StaffingItem(Schema):
    federation_id = fields.UUID()
    name = fields.String()
    households = fields.Integer()
    floating = fields.Integer()
    quota = fields.Integer()
    full_time_staff = fields.Integer()
    shortfall = fields.Integer()


class StaffingOut(Schema):
    as_of = Day()
    known_at = fields.DateTime()
    items = fields.List(fields.Nested(StaffingItem))


class FindingOut(Schema):
    rule = fields.String()
    severity = fields.String(metadata={"description": "error (a hard rule) or warning (a norm)"})
    unit_id = fields.UUID(allow_none=True)
    message = fields.String()
    message_zh = fields.String()
    clause = fields.String(metadata={"description": "where in the policy text"})
    figures = fields.Dict()


class ComplianceOut(Schema):
    as_of = Day()
    known_at = fields.DateTime()
    findings = fields.List(fields.Nested(FindingOut))


class ArrangementItem(Schema):
    arrangement_id = fields.UUID()
    zone_id = fields.UUID()
    subdistrict_id = fields.UUID()
    mode = fields.String()
    label = fields.String()
    leadership_in_place = fields.Boolean()
    figures = fields.Dict()


class ArrangementsOut(Schema):
    as_of = Day()
    known_at = fields.DateTime()
    items = fields.List(fields.Nested(ArrangementItem))


class RuleOut(Schema):
    id = fields.String()
    kind = fields.String()
    severity = fields.String()
    title = fields.String()
    title_zh = fields.String()
    clause = fields.String()
    text_zh = fields.String()


class RulesOut(Schema):
    items = fields.List(fields.Nested(RuleOut))
