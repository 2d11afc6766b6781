"""A copy of a stamped aggregate — what the ledger's cache hands each command — is
as independent of the original as ``deepcopy`` would make it, though it shares
the original's values: commands on the copy (appointing, ending a post,
retracting, leaving a federation) leave the original as it was."""

from __future__ import annotations

import pickle
from copy import deepcopy
from typing import Any
from uuid import UUID, uuid4

from aggregates import stamp, unit

from domain import restructuring
from domain.bodies import Appointment, Body, BodyType, Role
from domain.kinds import UnitKind
from domain.stamped import StampedAggregate


def _stored(aggregate: StampedAggregate) -> Any:
    """The aggregate as saved (no pending events), and an independent copy of it
    made without ``__deepcopy__``, to compare the original with afterwards."""
    aggregate.collect_events()
    return pickle.loads(pickle.dumps(aggregate))


def test_commands_on_a_copy_of_a_body_leave_the_original_as_it_was() -> None:
    committee = Body.establish(type=BodyType.PARTY_COMMITTEE, unit=unit(UnitKind.TOWN),
                               name=None, attributes={"note": "镇党委"}, stamp=stamp("2011-01-01"))
    posts = [_appoint(committee, "2011-02-01"), _appoint(committee, "2011-03-01")]
    ending = stamp("2012-01-01")
    committee.end_post(posts[1], ending, reason="任期届满", consent=None)
    before = _stored(committee)

    copy = deepcopy(committee)
    copy.retract(ending.change_id, stamp("2012-06-01"))  # the ended post is open again
    copy.end_post(posts[0], stamp("2013-01-01"), reason=None, consent=None)
    _appoint(copy, "2013-02-01")
    assert copy.posts[posts[1]].until is None and copy.posts[posts[0]].until is not None

    assert vars(committee) == vars(before)
    assert copy.version == committee.version + 3


def test_commands_on_copies_of_federated_units_leave_the_originals_as_they_were() -> None:
    town = unit(UnitKind.TOWN)
    villages = [unit(UnitKind.VILLAGE, name, town) for name in ("甲村", "乙村")]
    federation = restructuring.federate(villages, name="联居", code=None, parent=town,
                                        stamp=stamp("2012-01-01"), plans_required=False)
    stored = [_stored(u) for u in (villages[0], federation)]

    village, its_federation = deepcopy(villages[0]), deepcopy(federation)
    village.leave_federation(its_federation, stamp("2013-01-01"))
    village.rename("甲新村", stamp("2014-01-01"))
    assert village.membership_on(stamp("2013-01-01").effective_date) is None

    assert [vars(u) for u in (villages[0], federation)] == [vars(u) for u in stored]


def _appoint(body: Body, on: str) -> UUID:
    post_id = uuid4()
    body.appoint(Appointment(uuid4(), Role.MEMBER), post_id, stamp(on))
    return post_id
