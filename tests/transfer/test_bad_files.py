"""Bad files get a row-level report (sheet, row, column, value, reason) and write nothing."""

from __future__ import annotations

import pytest

from tests.transfer.conftest import COMPANY, counts, csvs, refused, run, workbook


def test_wrong_types_are_named_by_row_and_column_and_nothing_is_written(engine, ws, tmp_path):
    bad = {**COMPANY, "metrics": COMPANY["metrics"].replace(",98,", ",ninety-eight,")
           .replace("increase_to", "upwards"),
           "milestones": COMPANY["milestones"].replace("2026-05-31", "31/05/2026")}
    problems = refused(engine, ws, csvs(tmp_path / "in", bad))
    assert problems[("metrics", 2, "baseline_value")].value == "ninety-eight"
    assert "not a number" in problems[("metrics", 2, "baseline_value")].reason
    assert "increase_to" in problems[("metrics", 2, "direction")].reason
    assert "YYYY-MM-DD" in problems[("milestones", 2, "due_date")].reason


def test_an_unknown_owner_is_refused_naming_the_e_mail(engine, ws, tmp_path):
    bad = {**COMPANY, "objectives": COMPANY["objectives"].replace(
        "grace@acme.example,OPS,T1", "x@y.example,OPS,T1")}
    problems = refused(engine, ws, csvs(tmp_path / "in", bad))
    p = problems[("objectives", 3, "owner")]
    assert p.value == "x@y.example"
    assert "no person with e-mail x@y.example" in p.reason
    assert str(p).startswith("objectives row 3, owner (x@y.example): no person")


def test_a_duplicate_key_is_refused_pointing_at_the_first_row(engine, ws, tmp_path):
    bad = {**COMPANY, "themes": COMPANY["themes"] + "T1,Another theme,,,yes\n"}
    problems = refused(engine, ws, csvs(tmp_path / "in", bad))
    assert "row 2 has it too" in problems[("themes", 3, "key")].reason


def test_a_cycle_of_alignments_or_dependencies_is_refused_with_its_path(engine, ws, tmp_path):
    bad = {**COMPANY, "alignments": "child,parent\nO2,O1\nO1,O2\n",
           "dependencies": COMPANY["dependencies"] + "I1-B,I1-A,FS,0,,,\n"}
    problems = refused(engine, ws, csvs(tmp_path / "in", bad))
    assert "cycle" in problems[("alignments", 3, "parent")].reason
    assert "cycle" in problems[("dependencies", 3, "consumer")].reason


def test_a_file_that_is_not_utf8_is_refused_with_the_line(engine, ws, tmp_path):
    folder = csvs(tmp_path / "in", {"people": "email,name\n"})
    (folder / "people.csv").write_bytes("email,name\nada@acme.example,Jos\xe9\n"
                                        .encode("latin-1"))
    problems = refused(engine, ws, folder)
    [p] = problems.values()
    assert (p.sheet, p.row, p.value) == ("people", 2, "e9 0a")
    assert p.reason == ("people.csv is not UTF-8 (byte 31 on line 2): save the file as "
                        "'CSV UTF-8'")


def test_a_file_over_50_mb_is_refused_with_its_size_before_it_is_read(engine, ws, tmp_path):
    big = tmp_path / "measurements.csv"
    with big.open("wb") as f:  # sparse: 51 MB on paper, nothing on disk
        f.truncate(51 * 1024 * 1024)
    problems = refused(engine, ws, big)
    [p] = problems.values()
    assert p.reason.startswith("measurements.csv is 51.0 MB; the limit is 50 MB")


def test_a_formula_cell_is_refused_naming_the_cell(engine, ws, tmp_path):
    path = workbook(tmp_path / "f.xlsx", {
        "People": [["email", "name"], ["ada@acme.example", "Ada"], ["b@acme.example", None]]},
        formulas={"People": [(2, 1, '=UPPER("bob")')]})
    problems = refused(engine, ws, path)
    p = problems[("People", 3, "B3")]
    assert "formula" in p.reason


def test_an_empty_sheet_is_refused_and_so_is_an_unknown_one(engine, ws, tmp_path):
    path = workbook(tmp_path / "e.xlsx", {
        "People": [["email", "name"], ["ada@acme.example", "Ada"]], "Objectives": [],
        "Budgets 2027": [["x"], [1]]})
    problems = refused(engine, ws, path)
    assert "empty" in problems[("Objectives", None, None)].reason
    assert "unknown sheet" in problems[("Budgets 2027", None, None)].reason


def test_an_unknown_or_missing_column_is_refused_at_the_header(engine, ws, tmp_path):
    path = workbook(tmp_path / "c.xlsx", {"People": [["email", "nickname"], ["a@b.example",
                                                                            "A"]]})
    problems = refused(engine, ws, path)
    assert "unknown column" in problems[("People", 1, "nickname")].reason
    assert problems[("People", 1, "name")].reason == "required column missing"


def test_measurements_in_the_future_or_of_unknown_metrics_are_refused_row_by_row(
        engine, ws, tmp_path):
    bad = {**COMPANY, "measurements": "metric,as_of,value\nM1,2027-06-01,1\nM9,2026-01-31,2\n"
                                      "M1,2026-02-28,1e999\n"}
    problems = refused(engine, ws, csvs(tmp_path / "in", bad))
    assert "future" in problems[("measurements", 2, "as_of")].reason
    assert "no metric with key 'M9'" in problems[("measurements", 3, "metric")].reason
    assert "finite" in problems[("measurements", 4, "value")].reason


def test_a_workbook_renamed_to_txt_or_csv_is_named_as_a_workbook(engine, ws, tmp_path):
    book = workbook(tmp_path / "people.xlsx", {"People": [["email", "name"],
                                                          ["ada@acme.example", "Ada"]]})
    for suffix in (".txt", ".csv"):
        renamed = tmp_path / f"people{suffix}"
        renamed.write_bytes(book.read_bytes())
        [p] = refused(engine, ws, renamed).values()
        assert (p.sheet, p.row) == (f"people{suffix}", None)
        assert p.reason == (f"people{suffix} is a workbook, not a CSV text file: name it .xlsx "
                            "(or save it from the spreadsheet as 'CSV UTF-8')")


@pytest.mark.parametrize(("data", "reason"), [
    (b"email,name\nada@acme.example,Ada\n", "is text, not a workbook (a CSV file? name it "
                                             ".csv)"),
    (b"", "is text, not a workbook (a CSV file? name it .csv)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
     "is an Excel 97\u20132003 (.xls) workbook: save it as .xlsx"),
    (bytes(range(256)) * 4, "is not an .xlsx workbook (it is no zip file): save it from the "
                            "spreadsheet as .xlsx"),
    (b"PK\x03\x04" + bytes(100), "not a readable .xlsx workbook"),
])
def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused_saying_what_it_is(
        engine, ws, tmp_path, data, reason):
    path = tmp_path / "plan.xlsx"
    path.write_bytes(data)
    [p] = refused(engine, ws, path).values()
    assert p.sheet == "plan.xlsx" and reason in p.reason


def test_a_sheet_with_headers_only_is_refused_when_nothing_else_has_rows(engine, ws, tmp_path):
    path = workbook(tmp_path / "h.xlsx", {"People": [["email", "name"]],
                                          "Themes": [["key", "name"]]})
    [p] = refused(engine, ws, path).values()
    assert p.reason == ("nothing to import: People, Themes have a header row but no rows "
                        "below it")
    one = csvs(tmp_path / "csv", {"people": "email,name\n"})
    [p] = refused(engine, ws, one / "people.csv").values()
    assert p.reason == "nothing to import: people has a header row but no rows below it"


def test_a_sheet_with_headers_only_beside_rows_elsewhere_is_no_problem(engine, ws, tmp_path):
    path = workbook(tmp_path / "h.xlsx", {"People": [["email", "name"],
                                                     ["ada@acme.example", "Ada"]],
                                          "Themes": [["key", "name"]]})
    report = run(engine, ws, path)
    assert report.ok and report.written and counts(engine, ws)["people"] == 1


def test_an_empty_csv_file_is_refused(engine, ws, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(b"")
    [p] = refused(engine, ws, path).values()
    assert p.sheet == "people" and "the sheet is empty" in p.reason
