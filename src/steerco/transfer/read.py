"""Read a workbook, a CSV file or a folder of CSV files into raw rows per sheet.

Everything wrong with the file itself is a Problem, not an exception: too large, not
UTF-8, not the kind of file its name says (a workbook renamed .csv or .txt, a text or
.xls file renamed .xlsx), an unknown sheet or column, a missing required column, a
formula, an empty sheet or one with headers only.

Formula cells are refused rather than read by their cached value: a workbook written by a
tool that does not compute (xlsxwriter, many exporters) stores no cached value or a stale
one, so the import would not know what the author saw; the message names the cell so
that its value can be pasted in its place ("paste values").

A header the template does not know is looked up in the workspace's saved column mapping
(`mapping.py`) before it is refused; headers still unknown are listed on the book
(`unmapped`) so that the page can offer to map them.
"""

from __future__ import annotations

import csv
import gc
import io
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from steerco.transfer.report import Problem
from steerco.transfer.spec import SHEETS, Column, SheetSpec, column_named, norm, sheet_named
from steerco.transfer.values import blank

#: Larger files are refused before they are read (a 1,000,000-row CSV of measurements is
#: about 30 MB); MB here and in every message is 2**20 bytes, as the page says "50 MB".
MAX_BYTES = 50 * 1024 * 1024
NOTES = ("notes", "readme", "read me", "instructions")


@dataclass
class Table:
    spec: SheetSpec
    title: str
    #: (row number as the user sees it: the header is row 1, raw values by column name)
    rows: list[tuple[int, dict[str, Any]]] = field(default_factory=list)


@dataclass
class Book:
    tables: dict[str, Table] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    #: (sheet kind, header as in the file) of columns neither the template nor the
    #: workspace's mapping knows: what the page offers to map.
    unmapped: list[tuple[str, str]] = field(default_factory=list)
    #: The workspace's column mapping this book was read with.
    mapping: dict[str, dict[str, str]] = field(default_factory=dict)

    def rows(self, sheet: str) -> list[tuple[int, dict[str, Any]]]:
        t = self.tables.get(sheet)
        return t.rows if t else []

    def title(self, sheet: str) -> str:
        t = self.tables.get(sheet)
        return t.title if t else next(s.title for s in SHEETS if s.name == sheet)


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside: the rows of a large file are millions of small
    lists and dicts that live until the import ends, and each collection pass walked them
    all to free nothing (three quarters of building a million-row table's dicts)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def read_path(path: Path, max_bytes: int = MAX_BYTES,
              mapping: dict[str, dict[str, str]] | None = None) -> Book:
    """Read an .xlsx workbook, one .csv (named after its sheet) or a folder of .csv files;
    `mapping` is the workspace's saved column mapping (mapping.load)."""
    book = Book(mapping=mapping or {})
    files = sorted(path.glob("*.csv")) if path.is_dir() else [path]
    if path.is_dir() and not files:
        book.problems.append(Problem(path.name, None, None, None,
                                     "the folder holds no .csv file"))
    for f in files:
        size = f.stat().st_size
        if size > max_bytes:
            book.problems.append(Problem(f.name, None, None, None, (
                f"{f.name} is {size / 2**20:.1f} MB; the limit is {max_bytes / 2**20:.0f} MB: "
                "split it (e.g. one file per sheet, or measurements by year)")))
            continue
        suffix = f.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            _read_xlsx(f, book)
        elif suffix in (".csv", ".txt"):
            _read_csv(f.read_bytes(), f.stem, book, f.name)
        else:
            book.problems.append(Problem(f.name, None, None, None,
                                         "not a spreadsheet: give an .xlsx or .csv file"))
    if not book.problems and not any(t.rows for t in book.tables.values()):
        headers_only = [t.title for t in book.tables.values()]
        book.problems.append(Problem(path.name, None, None, None, (
            "nothing to import: " + (", ".join(headers_only) + (
                " has" if len(headers_only) == 1 else " have") +
                " a header row but no rows below it" if headers_only else
                "every sheet is empty"))))
    return book


ZIP = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0"  # Excel 97–2003 (.xls)


def _read_csv(data: bytes, name: str, book: Book, filename: str | None = None) -> None:
    filename = filename or f"{name}.csv"
    if data.startswith((ZIP, OLE)):
        book.problems.append(Problem(filename, None, None, None, (
            f"{filename} is a workbook, not a CSV text file: name it .xlsx (or save it from "
            "the spreadsheet as 'CSV UTF-8')")))
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        book.problems.append(Problem(name, line, None, data[exc.start:exc.start + 4].hex(" "),
                                     f"{filename} is not UTF-8 (byte {exc.start} on line "
                                     f"{line}): save the file as 'CSV UTF-8'"))
        return
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") and "\t" not in sample else (
        "\t" if "\t" in sample.split("\n", 1)[0] else ",")
    with paused_gc():
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        _add_table(name, rows, book, clean=_clean(text, delimiter))


def _clean(text: str, delimiter: str) -> bool:
    """True when no cell is empty, quoted or padded with spaces: then every cell is kept
    as it is, without a test per cell (a million-row CSV comes through here)."""
    if '"' in text:
        return False
    d = re.escape(delimiter)
    body = text.rstrip("\r\n")
    return re.search(rf"(?:^|{d})(?:[^\S\r\n]|{d}|\r?$)|[^\S\r\n](?:{d}|\r?$)", body,
                     re.M) is None


def _formula_cells(path: Path) -> dict[str, list[str]]:
    """{worksheet xml name: [cell refs holding a formula]}, read from the zip's XML."""
    found: dict[str, list[str]] = {}
    pattern = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*>(?:(?!</c>).)*?<f[ >/]', re.S)
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if info.filename.startswith("xl/worksheets/sheet") and info.filename.endswith(".xml"):
                data = z.read(info)
                if b"<f" in data:
                    found[info.filename] = [m.group(1).decode() for m in pattern.finditer(data)]
    return found


def _sheet_files(path: Path) -> dict[str, str]:
    """Worksheet title → its XML file in the zip (through workbook.xml and its rels)."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    targets = dict(re.findall(r'Id="([^"]+)"[^>]*Target="([^"]+)"', rels))
    targets.update({k: v for v, k in re.findall(r'Target="([^"]+)"[^>]*Id="([^"]+)"', rels)})
    out = {}
    for m in re.finditer(r"<sheet [^>]*>", wb):
        tag = m.group(0)
        name = re.search(r'name="([^"]*)"', tag)
        rid = re.search(r'r:id="([^"]*)"', tag)
        if name and rid and rid.group(1) in targets:
            target = targets[rid.group(1)].lstrip("/")
            out[_unxml(name.group(1))] = target if target.startswith("xl/") else f"xl/{target}"
    return out


def _is_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start > len(head) - 4  # a character cut at the end of the sample
    return b"\x00" not in head


def _unxml(s: str) -> str:
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def _read_xlsx(path: Path, book: Book) -> None:
    from python_calamine import CalamineWorkbook

    with path.open("rb") as fh:
        head = fh.read(4096)
    if not head.startswith(ZIP):
        if head.startswith(OLE):
            why = "an Excel 97–2003 (.xls) workbook: save it as .xlsx"
        elif not head or _is_text(head):
            why = "text, not a workbook (a CSV file? name it .csv)"
        else:
            why = "not an .xlsx workbook (it is no zip file): save it from the spreadsheet " \
                  "as .xlsx"
        book.problems.append(Problem(path.name, None, None, None, f"{path.name} is {why}"))
        return
    try:
        wb = CalamineWorkbook.from_path(str(path))
        formulas = _formula_cells(path)
        files = _sheet_files(path)
    except Exception as exc:  # a damaged or mislabelled file: say so, never a traceback
        book.problems.append(Problem(path.name, None, None, None,
                                     f"not a readable .xlsx workbook ({type(exc).__name__})"))
        return
    for title in wb.sheet_names:
        if title.strip().lower() in NOTES:
            continue
        for ref in formulas.get(files.get(title, ""), [])[:50]:
            row = int(re.sub(r"[A-Z]", "", ref))
            book.problems.append(Problem(title, row, ref, None,
                                         "a formula: type the value itself, not a formula"))
        try:
            rows = wb.get_sheet_by_name(title).to_python(skip_empty_area=False)
        except Exception as exc:
            book.problems.append(Problem(title, None, None, None,
                                         f"the sheet cannot be read ({type(exc).__name__})"))
            continue
        _add_table(title, rows, book)


def _add_table(title: str, rows: list[list[Any]], book: Book, clean: bool = False) -> None:
    spec = sheet_named(title)
    if spec is None:
        book.problems.append(Problem(title, None, None, None, (
            "unknown sheet; name it as one of: " + ", ".join(s.title for s in SHEETS))))
        return
    if spec.name in book.tables:
        book.problems.append(Problem(title, None, None, None,
                                     f"a second sheet of {spec.title}: merge them into one"))
        return
    # C-level counts instead of a test per cell: a million-row CSV comes through here.
    nonblank = list(enumerate(rows, start=1)) if clean else [
        (i, r) for i, r in enumerate(rows, start=1) if r.count("") + r.count(None) < len(r)]
    while nonblank and all(blank(v) for v in nonblank[0][1]):
        nonblank.pop(0)  # cells of spaces above the header
    if not nonblank:
        book.problems.append(Problem(title, None, None, None, (
            "the sheet is empty: it needs a header row (delete the sheet if it has no data)")))
        return
    header_at, header = nonblank[0]
    columns: list[Column | None] = []
    seen: set[str] = set()
    ok = True
    for j, h in enumerate(header):
        if blank(h):
            columns.append(None)
            continue
        col = column_named(spec, str(h))
        if col is None:
            mapped = book.mapping.get(spec.name, {}).get(norm(str(h)))
            if mapped == "":  # mapped to nothing: the column is ignored
                columns.append(None)
                continue
            if mapped is not None:
                col = next((c for c in spec.columns if c.name == mapped), None)
        if col is None:
            ok = False
            book.unmapped.append((spec.name, str(h)))
            book.problems.append(Problem(title, header_at, str(h), None, (
                "unknown column; expected: " + ", ".join(c.name for c in spec.columns) +
                "; map it to one of them on the import page or with steerco mapping")))
        elif col.name in seen:
            ok = False
            book.problems.append(Problem(title, header_at, str(h), None,
                                         f"a second column for {col.name}"))
        else:
            seen.add(col.name)
        columns.append(col)
        del j
    for c in spec.columns:
        if c.required and c.name not in seen:
            ok = False
            book.problems.append(Problem(title, header_at, c.name, None,
                                         "required column missing"))
    table = Table(spec, title)
    book.tables[spec.name] = table
    if not ok:
        return
    named = [(j, col.name) for j, col in enumerate(columns) if col is not None]
    width = len(columns)
    if clean and len(named) == width and set(map(len, rows[header_at:])) == {width}:
        names = [name for _, name in named]
        table.rows = [(number, dict(zip(names, row, strict=True)))
                      for number, row in nonblank[1:]]
        return
    for number, row in nonblank[1:]:
        n = len(row)
        raw = {}
        for j, name in named:
            if j < n:
                v = row[j]
                if v != "" and v is not None and not (isinstance(v, str) and v.isspace()):
                    raw[name] = v.strip() if isinstance(v, str) else v
        if n > width:
            for j in range(width, n):
                if not blank(row[j]):
                    book.problems.append(Problem(title, number, f"column {j + 1}", row[j],
                                                 "a value in a column without a header"))
        if raw:  # a row of spaces is no row
            table.rows.append((number, raw))
