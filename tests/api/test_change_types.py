"""POST /changes dispatches on ``type`` through a table: every type the request
schema accepts has a ledger command, every command's type is accepted, and the
fields the schema asks for a type are parameters of its command."""

from __future__ import annotations

import inspect

from interfaces.http.changes import STRUCTURAL
from interfaces.http.schemas.changes import ChangeIn


def test_every_structural_change_type_has_a_command_and_its_fields() -> None:
    assert set(STRUCTURAL) == set(ChangeIn.NEEDS)
    for change_type, command in STRUCTURAL.items():
        parameters = inspect.signature(command).parameters
        assert set(ChangeIn.NEEDS[change_type]) <= set(parameters), change_type
