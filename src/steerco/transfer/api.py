"""GET /api/v1/export: everything as XLSX, CSV (a zip of one file per sheet) or the
strategy as YAML — the same files as `steerco export`."""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from steerco.http.auth import Reader
from steerco.transfer.export import collect, write_csv, write_xlsx
from steerco.transfer.strategy import export_yaml

router = APIRouter(tags=["import and export"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/export", summary="Export the workspace (xlsx, csv as a zip, or yaml)",
            responses={200: {"content": {XLSX: {}, "application/zip": {},
                                         "application/yaml": {}},
                             "description": "The file"}})
def export(ctx: Reader, format: Annotated[Literal["xlsx", "csv", "yaml"], Query(
        description="xlsx: one workbook in the templates' layout; csv: a zip of one CSV "
                    "per sheet; yaml: the strategy for `steerco plan`")] = "xlsx") -> Response:
    with ctx.read() as s:
        if format == "yaml":
            text = export_yaml(s, ctx.ws)
            return Response(text, media_type="application/yaml", headers={
                "Content-Disposition": 'attachment; filename="strategy.yaml"'})
        rows = collect(s, ctx.ws)
    with tempfile.TemporaryDirectory() as tmp:
        if format == "xlsx":
            path = write_xlsx(rows, Path(tmp) / "steerco-export.xlsx")
            return Response(path.read_bytes(), media_type=XLSX, headers={
                "Content-Disposition": 'attachment; filename="steerco-export.xlsx"'})
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            for f in write_csv(rows, Path(tmp)):
                z.write(f, f.name)
        return Response(buf.getvalue(), media_type="application/zip", headers={
            "Content-Disposition": 'attachment; filename="steerco-export-csv.zip"'})
