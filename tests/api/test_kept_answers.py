"""A tree's answer is kept per process until the county's next event
(``interfaces.http.kept_answers``): every write shows at once, and a tree as known
at a given time is never taken for the tree as known now, or the reverse."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from conftest import Client
from interfaces.http.kept_answers import KeptAnswers


def _names(tree: dict[str, Any]) -> list[str]:
    return [node["name"] for town in tree["units"] for node in [town, *town["children"]]]


def test_the_tree_as_known_now_shows_each_write_at_once(county: Client) -> None:
    town = county.unit("town", "镇")
    first = county.ok(county.get("tree", as_of="2015-01-01"), 200)
    second = county.ok(county.get("tree", as_of="2015-01-01"), 200)
    # The units are kept; the time they are known at is each request's own.
    assert second["units"] == first["units"]
    assert datetime.fromisoformat(second["known_at"]) > datetime.fromisoformat(first["known_at"])
    village = county.unit("village", "村", town)
    assert _names(county.ok(county.get("tree", as_of="2015-01-01"), 200)) == ["镇", "村"]
    before_rename = datetime.now(timezone.utc).isoformat()
    county.ok(county.post(f"units/{village}/renames",
                          {"name": "新村", "effective_date": "2012-01-01"}))
    assert _names(county.ok(county.get("tree", as_of="2015-01-01"), 200)) == ["镇", "新村"]
    as_known = county.ok(county.get("tree", as_of="2015-01-01", known_at=before_rename), 200)
    assert _names(as_known) == ["镇", "村"]
    again = county.ok(county.get("tree", as_of="2015-01-01", known_at=before_rename), 200)
    assert again["units"] == as_known["units"]
    assert _names(county.ok(county.get("tree", as_of="2015-01-01"), 200)) == ["镇", "新村"]


def test_an_answer_is_made_once_per_position_and_the_oldest_goes_first() -> None:
    kept = KeptAnswers(size=2)
    made: list[str] = []

    def make(text: str) -> Callable[[], bytes]:
        def answer() -> bytes:
            made.append(text)
            return text.encode()
        return answer

    assert kept.answer("330381", 7, "tree", make("a")) == b"a"
    assert kept.answer("330381", 7, "tree", make("b")) == b"a"  # kept: not made again
    assert kept.answer("330381", 8, "tree", make("c")) == b"c"  # a new position
    assert kept.answer("330382", 7, "tree", make("d")) == b"d"  # evicts the oldest
    assert kept.answer("330381", 7, "tree", make("e")) == b"e"
    assert made == ["a", "c", "d", "e"]
