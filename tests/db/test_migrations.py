"""Migrations go from empty to head and back on both databases, and match the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from steerco.db.engine import make_engine
from steerco.db.migrate import current, downgrade, head_revision, upgrade
from steerco.db.models import Base


def test_the_models_and_the_migrations_agree(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_migrations_run_from_empty_to_head_and_back_to_empty(database_url, tmp_path):
    # A second, throw-away database so the shared one stays migrated.
    if database_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    else:
        url = database_url  # the worker database is re-created below, then re-migrated
    eng = make_engine(url)
    downgrade(eng, "base")
    assert current(eng) is None
    assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    upgrade(eng)
    assert current(eng) == head_revision()
    tables = set(inspect(eng).get_table_names())
    assert set(Base.metadata.tables) <= tables
    downgrade(eng, "base")
    assert set(inspect(eng).get_table_names()) <= {"alembic_version"}
    upgrade(eng)
    eng.dispose()


def test_every_secondary_index_leads_with_workspace_id():
    for table in Base.metadata.sorted_tables:
        if table.name == "workspaces":
            continue
        assert "workspace_id" in table.c, table.name
        for index in table.indexes:
            first = next(iter(index.columns)).name
            assert first == "workspace_id", f"{index.name} on {table.name} leads with {first}"
