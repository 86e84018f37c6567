"""`steerco serve` says where e-mail goes when it starts: an SMTP server, the folder
`make run` writes .eml files to, or nowhere (the inbox only); and `make run` sets the
folder when no SMTP server is named."""

from __future__ import annotations

from pathlib import Path

from steerco.cli import _mail_line
from steerco.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def test_serve_names_where_mail_goes() -> None:
    smtp = _mail_line(Settings(smtp_host="smtp.example.com", smtp_port=587,
                               base_url="https://steerco.example.com"))
    assert smtp == ("e-mail: via SMTP smtp.example.com:587; its links point to "
                    "https://steerco.example.com")
    folder = _mail_line(Settings(smtp_host="", mail_dir="mail"))
    assert f"written to {Path('mail').resolve()}/ as .eml files" in folder
    assert "STEERCO_SMTP_HOST" in folder
    off = _mail_line(Settings(smtp_host="", mail_dir=""))
    assert off.startswith("e-mail: off") and "inbox" in off


def test_make_run_writes_mail_to_a_folder_unless_told_otherwise() -> None:
    makefile = (ROOT / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert 'STEERCO_MAIL_DIR="$${STEERCO_MAIL_DIR-mail}" $(BIN)/steerco serve' in run
