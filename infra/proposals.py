"""Where a county's reconciliation proposals are kept: a plain table beside its
read views, not its events — a proposal is a draft until it is applied, and
what applying it records is in the events (docs/decisions/0008)."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any
from uuid import UUID

from application.reconciliation import Proposal
from domain.changes import Authority
from domain.reconciliation import Item, Link
from infra.views.tables import ViewTables


class ProposalStore:
    def __init__(self, tables: ViewTables):
        self.tables = tables

    def save(self, proposal: Proposal) -> None:
        body = json.dumps(_to_json(proposal), ensure_ascii=False)
        with self.tables.writing() as curs:
            curs.execute(self.tables.sql(
                "DELETE FROM {reconciliations} WHERE proposal_id = %s"), (proposal.id,))
            curs.execute(self.tables.sql(
                "INSERT INTO {reconciliations} (proposal_id, release, status, created_at, body) "
                "VALUES (%s, %s, %s, %s, %s)"),
                (proposal.id, proposal.release, proposal.status, proposal.created_at, body))

    def get(self, proposal_id: UUID) -> Proposal | None:
        rows = self.tables.query(
            "SELECT body FROM {reconciliations} WHERE proposal_id = %s", (proposal_id,))
        return _from_json(json.loads(rows[0]["body"])) if rows else None

    def all(self) -> list[Proposal]:
        rows = self.tables.query("SELECT body FROM {reconciliations} ORDER BY created_at")
        return [_from_json(json.loads(r["body"])) for r in rows]


def _to_json(p: Proposal) -> dict[str, Any]:
    return {
        "id": str(p.id), "release": p.release, "effective_date": p.effective_date.isoformat(),
        "created_at": p.created_at.isoformat(), "position": p.position,
        "items": [i.as_dict() for i in p.items],
        "authority": _authority(p.authority),
        "mapping": [[m.predecessor_code, m.successor_code] for m in p.mapping],
        "status": p.status, "result": p.result, "county_code": p.county_code,
    }


def _authority(authority: Authority | None) -> dict[str, Any] | None:
    if authority is None:
        return None
    issued_on = authority.issued_on.isoformat() if authority.issued_on else None
    return {**authority.as_dict(), "issued_on": issued_on}


def _from_json(data: dict[str, Any]) -> Proposal:
    authority = data["authority"]
    if authority is not None:
        issued_on = authority["issued_on"]
        authority = Authority(authority["document_no"], authority["issued_by"],
                              date.fromisoformat(issued_on) if issued_on else None)
    return Proposal(
        id=UUID(data["id"]), release=data["release"],
        effective_date=date.fromisoformat(data["effective_date"]),
        created_at=datetime.fromisoformat(data["created_at"]), position=data["position"],
        items=[Item.from_dict(i) for i in data["items"]], authority=authority,
        mapping=[Link(p, s) for p, s in data["mapping"]],
        status=data["status"], result=data["result"], county_code=data.get("county_code", ""),
    )
