"""Table generations with savepoints (an import runs each row in one): the outer commit
bumps every table a released savepoint wrote, once, even when a later savepoint rolled
back; nothing is bumped by the savepoints themselves."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Theme
from steerco.db.models.generations import TableGeneration
from steerco.org.service import create_workspace


def _generation(engine: Engine, ws: int, table: str) -> int:
    with Session(engine) as s:
        return s.scalar(select(TableGeneration.generation).where(
            TableGeneration.workspace_id == ws, TableGeneration.table_name == table)) or 0


def test_rows_in_savepoints_bump_their_tables_once_at_the_outer_commit(engine: Engine):
    with unit_of_work(make_sessionmaker(engine)) as s:
        ws = create_workspace(s, {"slug": f"g-{uuid.uuid4().hex[:10]}", "name": "G"}).id
    before = _generation(engine, ws, "themes")
    session = make_sessionmaker(engine)()
    try:
        for i in range(3):
            with session.begin_nested():
                session.add(Theme(workspace_id=ws, name=f"Theme {i}"))
            # Released savepoints bump nothing yet: the outer transaction may roll back.
            assert _generation(engine, ws, "themes") == before
        with pytest.raises(RuntimeError), session.begin_nested():
            session.add(Theme(workspace_id=ws, name="refused"))
            session.flush()
            raise RuntimeError("a refused row")
        session.commit()
    finally:
        session.close()
    assert _generation(engine, ws, "themes") == before + 1
    with Session(engine) as s:
        assert sorted(s.scalars(select(Theme.name).where(Theme.workspace_id == ws))) == [
            "Theme 0", "Theme 1", "Theme 2"]
