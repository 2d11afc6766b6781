"""POST /changes dispatches on ``type`` through a table: every type the request
schema accepts has a ledger command, and every command's type is accepted."""

from __future__ import annotations

from interfaces.http.changes import STRUCTURAL
from interfaces.http.schemas.changes import ChangeIn


def test_every_structural_change_type_has_a_command_and_its_fields() -> None:
    assert set(STRUCTURAL) == set(ChangeIn.NEEDS)
