"""The entity and link sheets are checked in bulk with the services' own rules, split out
as pure functions: a bad row per rule is still refused, named by sheet, row and column,
and nothing is written."""

from __future__ import annotations

import datetime as dt

import pytest

from steerco.initiatives.service import gaps_of
from steerco.kit.errors import SteercoError
from steerco.metrics.service import check_plan
from steerco.objectives.service import check_alignment
from steerco.org.service import check_manager, check_unit_parent
from tests.transfer.conftest import COMPANY, csvs, refused, run


def test_the_split_rules_refuse_what_the_services_refused():
    with pytest.raises(SteercoError, match="under itself"):
        check_unit_parent(1, 2, {2: 1}.get, "B")
    check_unit_parent(1, 2, {2: 3}.get, "B")
    with pytest.raises(SteercoError, match="manages themselves"):
        check_manager(4, 4, "a@b.example")
    with pytest.raises(SteercoError, match="cycle"):
        check_alignment(1, 2, 1.0, lambda a, b: [2, 1])
    with pytest.raises(SteercoError, match="≤ 1000"):
        check_alignment(1, 2, 0.0, lambda a, b: None)
    assert [e.field for e in gaps_of(None, None, 0, 0)] == [
        "owner_id", "due_date", "metric_ids", "budget_lines"]
    assert gaps_of(1, dt.date(2026, 1, 1), 1, 1) == []
    with pytest.raises(SteercoError):
        check_plan([{"on": "2026-02-01", "value": 1}, {"on": "2026-01-01", "value": 2}])


def test_an_org_unit_put_under_itself_further_down_the_file_is_refused(engine, ws, tmp_path):
    bad = {**COMPANY, "org_units": COMPANY["org_units"].replace(
        "ACME,Acme Corp,company,,", "ACME,Acme Corp,company,OPS,")}
    problems = refused(engine, ws, csvs(tmp_path / "in", bad))
    assert "under itself" in problems[("org_units", 3, "parent")].reason


def test_a_person_managing_themselves_is_refused(engine, ws, tmp_path):
    bad = {**COMPANY, "people": COMPANY["people"].replace(
        "alan@acme.example,Alan Turing,Engineer,Grace Hopper",
        "alan@acme.example,Alan Turing,Engineer,alan@acme.example")}
    problems = refused(engine, ws, csvs(tmp_path / "in", bad))
    assert "manages themselves" in problems[("people", 4, "manager")].reason


def test_an_initiative_past_the_gate_without_a_budget_line_is_refused(engine, ws, tmp_path):
    bad = {**COMPANY, "initiatives": COMPANY["initiatives"].replace(",defined,", ",decided,"),
           "budget_lines": COMPANY["budget_lines"].replace(",OPS,I1,", ",OPS,,")}
    problems = refused(engine, ws, csvs(tmp_path / "in", bad))
    assert "budget line is required" in problems[("initiatives", 2, "budget_lines")].reason


def test_an_initiative_at_the_gate_with_everything_reaches_its_stage(engine, ws, tmp_path):
    good = {**COMPANY, "initiatives": COMPANY["initiatives"].replace(",defined,", ",decided,")}
    report = run(engine, ws, csvs(tmp_path / "in", good))
    assert report.written, report.problems
    again = run(engine, ws, csvs(tmp_path / "in", good))
    assert again.ok and not again.changed


def test_an_alignment_with_a_weight_out_of_range_is_refused(engine, ws, tmp_path):
    bad = {**COMPANY, "alignments": "child,parent,weight\nO2,O1,0\n"}
    problems = refused(engine, ws, csvs(tmp_path / "in", bad))
    assert "1000" in problems[("alignments", 2, "weight")].reason


def test_an_implausible_plan_value_is_refused_with_its_row(engine, ws, tmp_path):
    bad = {**COMPANY, "plan_points": "metric,on,value\nM1,2026-06-30,104\nM1,2026-07-31,1e300\n"}
    problems = refused(engine, ws, csvs(tmp_path / "in", bad))
    [p] = [p for (sheet, row, _), p in problems.items() if sheet == "plan_points"]
    assert p.row == 3


def test_a_deactivated_owner_of_a_new_theme_is_refused(engine, ws, tmp_path):
    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.org.service import update_person

    first = run(engine, ws, csvs(tmp_path / "a", COMPANY))
    assert first.written
    with unit_of_work(make_sessionmaker(engine)) as s:
        from steerco.org.repository import PersonRepository

        alan = PersonRepository(s, ws).by_email("alan@acme.example")
        assert alan is not None
        update_person(s, ws, alan.id, {"active": False})
    bad = {"themes": "key,name,description,owner,active\nT2,Another,,alan@acme.example,yes\n"}
    problems = refused(engine, ws, csvs(tmp_path / "b", bad))
    assert "deactivated" in problems[("themes", 2, "owner")].reason


def test_rows_written_in_bulk_move_the_generations_of_cached_reads(engine, ws, tmp_path):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from steerco.db.models import TableGeneration

    def generations():
        with Session(engine) as s:
            return dict(s.execute(select(TableGeneration.table_name,
                                         TableGeneration.generation).where(
                TableGeneration.workspace_id == ws)).all())

    before = generations()
    assert run(engine, ws, csvs(tmp_path / "in", COMPANY)).written
    after = generations()
    for table in ("org_units", "people", "objectives", "alignments", "metrics",
                  "plan_points", "initiatives", "milestones", "budget_plans"):
        assert after.get(table, 0) > before.get(table, 0), table


def test_a_key_result_due_outside_its_objectives_period_is_refused(engine, ws, tmp_path):
    # attach_objective's rule, on the import's bulk path: the key result M1 is due on
    # 2026-12-31, and O1's period now ends on 2026-06-30.
    bad = {**COMPANY, "objectives": COMPANY["objectives"].replace(
        "O1,Customers choose us first,,2026-01-01,2026-12-31",
        "O1,Customers choose us first,,2026-01-01,2026-06-30")}
    problems = refused(engine, ws, csvs(tmp_path / "in", bad))
    reason = problems[("metric_objectives", 2, "metric")].reason
    assert "outside the period of the objective “Customers choose us first”" in reason


def test_two_metrics_of_one_objective_with_one_name_are_refused(engine, ws, tmp_path):
    twin = COMPANY["metrics"].splitlines()[-1].replace("M1,", "M2,", 1)
    bad = {**COMPANY, "metrics": COMPANY["metrics"] + twin + "\n",
           "metric_objectives": COMPANY["metric_objectives"] + "M2,O1,1\n"}
    problems = refused(engine, ws, csvs(tmp_path / "in", bad))
    reason = problems[("metric_objectives", 3, "metric")].reason
    assert "already has a metric called “Net revenue retention”" in reason
