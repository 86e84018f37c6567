"""`steerco import`, `steerco export`, `steerco template`, `steerco locale`.

Register them all with ``transfer_cli.register(app)``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from steerco.cli_common import engine as _engine
from steerco.cli_common import err, fail, out
from steerco.cli_common import resolve_workspace as _resolve_workspace


def _print_report(report: object, as_json: bool, limit: int = 200,
                  show_rows: bool = True) -> None:
    from steerco.transfer.report import Report

    assert isinstance(report, Report)
    if as_json:
        print(json.dumps(report.as_json(), default=str))
    else:
        counts = Table("sheet", "create", "update", "unchanged",
                       title="dry run: nothing written" if report.dry_run else
                       ("written" if report.written else "refused: nothing written"))
        for sheet, c in report.counts().items():
            counts.add_row(sheet, f"{c['create']:,}", f"{c['update']:,}", f"{c['unchanged']:,}")
        out.print(counts)
        if report.dry_run and report.outcomes and show_rows:
            rows = Table("sheet", "row", "key", "action", "changes", title="row by row")
            for o in report.outcomes[:limit]:
                rows.add_row(o.sheet, str(o.row), o.key, o.action, "; ".join(
                    f"{k}: {a} → {b}" for k, (a, b) in o.changes.items()))
            out.print(rows)
        if report.problems:
            t = Table("sheet", "row", "column", "value", "reason",
                      title=f"{len(report.problems)} problem(s)")
            for p in report.problems[:limit]:
                t.add_row(p.sheet, "" if p.row is None else str(p.row), p.column or "",
                          "" if p.value is None else str(p.value), p.reason)
            err.print(t)
        elif not report.changed and not report.dry_run:
            out.print("nothing changed: every row was already there")
    if report.problems:
        raise typer.Exit(1)


if TYPE_CHECKING:
    from steerco.transfer.read import Book


def import_file(
    file: Annotated[Path, typer.Argument(help="An .xlsx workbook, a .csv file named after "
                                              "its sheet, a folder of them; or `okrs "
                                              "FILE.md`.", show_default=False)],
    okr_file: Annotated[Path | None, typer.Argument(
        help="With `okrs`: the markdown file of OKRs.", show_default=False)] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report row by row; write "
                                                            "nothing.")] = False,
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
    max_mb: Annotated[int, typer.Option("--max-mb", min=1, help=(
        "Refuse files larger than this many MB (the web page's limit is 50; the command "
        "line may take more)."))] = 50,
    use_mapping: Annotated[bool, typer.Option("--mapping/--no-mapping", help=(
        "Apply the workspace's saved column mapping (`steerco mapping`).") )] = True,
) -> None:
    """Import a spreadsheet (or `okrs FILE.md`): all rows or none; --dry-run shows what
    would happen. Headers that are not the template's are read through the workspace's
    saved column mapping (`steerco mapping`, or the import page)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from sqlalchemy.orm import Session

    from steerco.transfer.read import read_path
    from steerco.transfer.run import import_book

    okrs = str(file) == "okrs" or file.suffix.lower() == ".md"
    if str(file) == "okrs":
        if okr_file is None:
            fail("give the OKR file: steerco import okrs FILE.md [--dry-run]")
        file = okr_file
    elif okr_file is not None:
        fail(f"unexpected argument '{okr_file}': import one file (or `okrs FILE.md`)")
    if not file.exists():
        fail(f"no such file: {file}")
    from steerco.transfer import mapping

    eng = _engine()
    with Session(eng) as session:
        ws = _resolve_workspace(session, workspace)
        saved = mapping.load(session, ws) if use_mapping else {}
    book: Book = _okr_book(file, dry_run and not as_json) if okrs else read_path(
        file, max_mb * 2**20, saved)
    with Progress(TextColumn("{task.description:<20}"), BarColumn(),
                  TextColumn("{task.completed:>10,.0f}/{task.total:,.0f}"),
                  TimeElapsedColumn(), console=err, transient=True,
                  disable=as_json) as bar:
        task = bar.add_task("reading", total=1)

        def progress(sheet: str, done: int, total: int) -> None:
            bar.update(task, description=sheet, completed=done, total=max(total, 1))

        report = import_book(eng, ws, book, dry_run=dry_run, progress=progress,
                             actor="cli", via=f"import of {file.name}")
    _print_report(report, as_json, show_rows=not okrs)


def _okr_book(file: Path, show_tree: bool) -> Book:
    from rich.tree import Tree

    from steerco.transfer.okrs import Item, OkrParseError, counts, parse, to_book

    try:
        doc = parse(file.read_text(encoding="utf-8"), file.name)
    except UnicodeDecodeError:
        fail(f"{file}: not UTF-8; save it as UTF-8 text")
    except OkrParseError as exc:
        fail(str(exc))
    if show_tree:
        c = counts(doc)
        tree = Tree(f"[bold]{doc.title}[/] ({doc.start} – {doc.end}): {c['objectives']} "
                    f"objectives, {c['key_results']} key results (+{c['note_key_results']} "
                    f"for objectives' notes), {c['checkins']} final check-ins")

        def add(node: Tree, item: Item) -> None:
            kind = "KR" if item.is_kr else "O"
            value = "" if item.value is None else f" [green]→ {item.value:g}%[/]"
            note = f" [dim]=> {item.note[:60]}[/]" if item.note and item.value is None else ""
            branch = node.add(f"[cyan]{kind} {item.path}[/] {item.team}: {item.text[:70]}"
                              f"{value}{note}", highlight=False)
            for child in item.children if not item.is_kr else []:
                add(branch, child)

        for root in doc.roots:
            add(tree, root)
        out.print(tree)
    return to_book(doc)


def export(
    path: Annotated[Path, typer.Argument(help="Where to write: a .xlsx file, a folder for "
                                              "CSV files.")],
    fmt: Annotated[str | None, typer.Option("--format", help="xlsx or csv (default: from "
                                                             "the path).")] = None,
    as_yaml: Annotated[bool, typer.Option("--yaml", help="The strategy as a YAML file for "
                                                         "`steerco plan`.")] = False,
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Export everything to XLSX or CSV (the templates' layout), or the strategy to YAML."""
    from sqlalchemy.orm import Session

    from steerco.transfer.export import collect, write_csv, write_xlsx

    if as_yaml:
        from steerco.transfer.strategy import export_yaml

        with Session(_engine()) as session:
            path.write_text(export_yaml(session, _resolve_workspace(session, workspace)),
                            encoding="utf-8")
        out.print(f"strategy written to {path}")
        return
    fmt = fmt or ("xlsx" if path.suffix.lower() == ".xlsx" else "csv")
    if fmt not in ("xlsx", "csv"):
        fail(f"--format must be xlsx or csv, got '{fmt}'")
    with Session(_engine()) as session:
        rows = collect(session, _resolve_workspace(session, workspace))
    if fmt == "xlsx":
        write_xlsx(rows, path)
    else:
        write_csv(rows, path)
    n = sum(len(r) for r in rows.values())
    out.print(f"exported {n:,} rows to {path}")


def template(
    path: Annotated[Path, typer.Argument(help="The .xlsx file to write.")] = Path(
        "steerco-template.xlsx"),
) -> None:
    """Write the import template: a sheet per kind, examples, drop-downs and notes."""
    from steerco.transfer.export import write_xlsx

    if path.suffix.lower() != ".xlsx":
        fail("the template is an .xlsx workbook: give a path ending in .xlsx")
    write_xlsx(None, path, template=True)
    out.print(f"template written to {path}")


def locale(
    value: Annotated[str | None, typer.Argument(help="e.g. en, en-us, en-gb, de, fr.")] = None,
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Show or set how the workspace's files write numbers and dates."""
    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.transfer.repository import TransferRepository
    from steerco.transfer.values import LOCALES

    if value is not None and value.lower() not in LOCALES:
        fail(f"unknown locale '{value}'; one of {', '.join(LOCALES)}")
    with unit_of_work(make_sessionmaker(_engine())) as session:
        repo = TransferRepository(session, _resolve_workspace(session, workspace))
        if value is not None:
            repo.set_locale(value.lower())
        out.print(f"locale: {repo.locale()}")


def _strategy(path: Path, workspace: str | None, apply: bool) -> None:
    import hashlib

    from sqlalchemy.orm import Session

    from steerco.transfer.strategy import plan as run_plan
    from steerco.transfer.strategy import save_plan

    if not path.exists():
        fail(f"no such file: {path}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail(f"{path}: not UTF-8")
    eng = _engine()
    with Session(eng) as session:
        ws = _resolve_workspace(session, workspace)
    expect = None
    if apply:
        saved = path.with_name(path.name + ".plan")
        if not saved.exists():
            fail(f"no plan for {path}: run `steerco plan {path}` first")
        recorded = json.loads(saved.read_text())
        if recorded.get("file") != hashlib.sha256(text.encode()).hexdigest():
            fail(f"{path} changed since the plan: run `steerco plan {path}` again")
        expect = recorded.get("workspace")
    result = run_plan(eng, ws, text, path.name, apply=apply, expect=expect, actor="cli")
    report = result.report
    for o in report.outcomes:
        if o.action == "create":
            out.print(f"[green]+ create[/] {o.sheet} {o.key}", highlight=False)
        elif o.action == "update":
            out.print(f"[yellow]~ update[/] {o.sheet} {o.key}: " + "; ".join(
                f"{k}: {a} → {b}" for k, (a, b) in o.changes.items()), highlight=False)
    for section, key, name in result.archive:
        out.print(f"[red]- archive[/] {section} {key} ({name})", highlight=False)
    for sheet, c in report.bulk.items():
        if c["create"] or c["update"]:
            out.print(f"[green]+ {c['create']} / ~ {c['update']}[/] {sheet}")
    if report.problems:
        _print_report(report, False)
    if apply:
        out.print("no changes: the workspace matches the file" if result.empty else "applied")
        path.with_name(path.name + ".plan").unlink(missing_ok=True)
        return
    save_plan(path, result, text)
    out.print("no changes: the workspace matches the file" if result.empty else
              f"plan saved; apply it with `steerco apply {path}`")


def plan(
    path: Annotated[Path, typer.Argument(help="The strategy YAML file.")],
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Print what the strategy file would change: create, update (before → after), archive."""
    _strategy(path, workspace, apply=False)


def apply(
    path: Annotated[Path, typer.Argument(help="The strategy YAML file (planned first).")],
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Apply a planned strategy file atomically; refused when the workspace changed since."""
    _strategy(path, workspace, apply=True)


def mapping_command(
    sheet: Annotated[str | None, typer.Argument(help="The sheet kind, e.g. objectives or "
                                                     "'Budget lines'.")] = None,
    header: Annotated[str | None, typer.Argument(help="The file's column header.")] = None,
    column: Annotated[str | None, typer.Argument(help="The template column it fills; "
                                                      "'ignore' to skip the column.")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="Forget this header's "
                                                          "mapping.")] = False,
    workspace: Annotated[str | None, typer.Option(help="Workspace slug.")] = None,
) -> None:
    """Show the workspace's saved column mapping, or map a file's header to a template
    column (every later import applies it)."""
    from steerco.db.engine import make_sessionmaker, unit_of_work
    from steerco.transfer import mapping
    from steerco.transfer.spec import BY_NAME

    if (sheet is None) != (header is None) or (column is not None and remove) or (
            header is not None and column is None and not remove):
        fail("give SHEET HEADER COLUMN to map, SHEET HEADER --remove to forget, or "
             "nothing to list")
    with unit_of_work(make_sessionmaker(_engine())) as session:
        ws = _resolve_workspace(session, workspace)
        if sheet is not None and header is not None:
            if remove:
                if not mapping.remove(session, ws, sheet, header):
                    fail(f"no saved mapping of {header!r} in {sheet}")
            else:
                e = mapping.save(session, ws, sheet, header, column)
                out.print(f"{BY_NAME[e.sheet].title}: {header!r} → "
                          f"{e.column or '(ignored)'}", highlight=False)
                return
        rows = mapping.entries(session, ws)
    if not rows:
        out.print("no saved column mapping: headers are read as the template names them")
        return
    t = Table("sheet", "file header", "template column", title="saved column mapping")
    for e in rows:
        t.add_row(BY_NAME[e.sheet].title, e.header, e.column or "(ignored)")
    out.print(t)


def register(app: typer.Typer) -> None:
    """Add the transfer commands to the main CLI."""
    app.command("plan")(plan)
    app.command("apply")(apply)
    app.command("import")(import_file)
    app.command("export")(export)
    app.command("template")(template)
    app.command("locale")(locale)
    app.command("mapping")(mapping_command)
    from steerco.transfer.connectors import cli as connectors_cli

    connectors_cli.register(app)
    from steerco.transfer.feeds import cli as feeds_cli

    feeds_cli.register(app)
