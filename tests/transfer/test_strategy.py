"""Strategy as code: plan(export) is empty; plan shows create/update/archive; apply is
atomic and refused when the workspace changed since the plan."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from sqlalchemy.orm import Session

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Objective
from steerco.objectives.service import update_objective
from steerco.transfer.strategy import export_yaml, json_schema, plan
from tests.transfer.conftest import COMPANY, TODAY, csvs, run

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "strategy.schema.json"


def _company(engine, ws, tmp_path):
    assert run(engine, ws, csvs(tmp_path / "in", COMPANY)).written
    with Session(engine) as s:
        return export_yaml(s, ws)


def test_the_plan_of_an_export_is_empty(engine, ws, tmp_path):
    text = _company(engine, ws, tmp_path)
    result = plan(engine, ws, text, today=TODAY)
    assert result.empty, (result.report.problems, result.archive)


def test_a_plan_lists_creates_updates_with_before_and_after_and_archives(engine, ws,
                                                                        tmp_path):
    doc = yaml.safe_load(_company(engine, ws, tmp_path))
    doc["objectives"][1]["title"] = "Onboard in an hour"
    doc["themes"].append({"key": "T2", "name": "Operational excellence"})
    doc["initiatives"] = []
    text = yaml.safe_dump(doc)
    result = plan(engine, ws, text, today=TODAY)
    assert result.report.ok, result.report.problems
    changes = {(o.sheet, o.key): (o.action, o.changes) for o in result.report.outcomes
               if o.action != "unchanged"}
    assert changes == {("Objectives", "O2"): ("update", {"title": ("Onboard in a day",
                                                                   "Onboard in an hour")}),
                       ("Themes", "T2"): ("create", {})}
    assert result.archive == [("initiatives", "I1", "Self-service onboarding")]
    with Session(engine) as s:  # a plan writes nothing
        renamed = s.query(Objective).filter_by(workspace_id=ws, title="Onboard in an hour")
        assert renamed.count() == 0
    applied = plan(engine, ws, text, today=TODAY, apply=True, expect=result.fingerprint)
    assert applied.report.written
    assert plan(engine, ws, text, today=TODAY).empty


def test_apply_is_refused_when_the_workspace_changed_since_the_plan(engine, ws, tmp_path):
    doc = yaml.safe_load(_company(engine, ws, tmp_path))
    doc["objectives"][0]["title"] = "Customers choose us first, always"
    text = yaml.safe_dump(doc)
    result = plan(engine, ws, text, today=TODAY)
    with unit_of_work(make_sessionmaker(engine)) as s:  # someone edits in the app meanwhile
        obj = s.query(Objective).filter_by(workspace_id=ws, external_key="O2").one()
        update_objective(s, ws, obj.id, {"description": "edited in the app"})
    refused = plan(engine, ws, text, today=TODAY, apply=True, expect=result.fingerprint)
    assert not refused.report.written
    assert "changed since the plan" in refused.report.problems[0].reason
    with Session(engine) as s:
        assert s.query(Objective).filter_by(workspace_id=ws, external_key="O1").one().title \
            == "Customers choose us first"


def test_a_bad_strategy_file_is_refused_item_by_item_and_nothing_is_written(engine, ws,
                                                                           tmp_path):
    doc = yaml.safe_load(_company(engine, ws, tmp_path))
    doc["objectives"][0]["owner"] = "nobody@acme.example"
    doc["alignments"].append({"child": "O1", "parent": "O2"})
    result = plan(engine, ws, yaml.safe_dump(doc), today=TODAY, apply=True,
                  expect=plan(engine, ws, yaml.safe_dump(doc), today=TODAY).fingerprint)
    assert not result.report.written
    problems = {(p.sheet, p.row, p.column) for p in result.report.problems}
    assert ("objectives", 1, "owner") in problems
    assert ("alignments", 2, "parent") in problems
    assert plan(engine, ws, "objectives: 7\n").report.problems[0].reason == \
        "must be a list of mappings"
    assert "not valid YAML" in plan(engine, ws, "a: [\n").report.problems[0].reason


def test_the_published_json_schema_is_current_and_accepts_an_export(engine, ws, tmp_path):
    assert json.loads(SCHEMA.read_text()) == json_schema(), \
        "regenerate docs/strategy.schema.json from steerco.transfer.strategy.json_schema()"
    import jsonschema_rs

    text = _company(engine, ws, tmp_path)
    doc = json.loads(json.dumps(yaml.safe_load(text), default=str))
    jsonschema_rs.validator_for(json_schema()).validate(doc)
    doc["objectives"][0]["colour"] = "red"
    assert not jsonschema_rs.validator_for(json_schema()).is_valid(doc)


def test_plan_and_apply_from_the_command_line(tmp_path):
    from tests.cli.test_cli import steerco

    db = tmp_path / "s.db"
    steerco("admin", "create", "--email", "a@acme.example", "--name", "Admin", "--workspace",
            "acme", "--password", "correct-horse-1", "--create-workspace", db=db, check=True)
    path = tmp_path / "strategy.yaml"
    path.write_text(yaml.safe_dump({"themes": [{"key": "T1", "name": "Grow"}]}))
    refused = steerco("apply", str(path), db=db)
    assert refused.returncode == 1 and "run `steerco plan" in refused.stderr
    planned = steerco("plan", str(path), db=db, check=True)
    assert "+ create Themes T1" in planned.stdout
    assert "applied" in steerco("apply", str(path), db=db, check=True).stdout
    steerco("export", "--yaml", str(tmp_path / "export.yaml"), db=db, check=True)
    assert "no changes" in steerco("plan", str(tmp_path / "export.yaml"), db=db,
                                   check=True).stdout
