"""`steerco accuracy`: owners' check-in confidences judged, naming people."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from sqlalchemy.orm import Session

from steerco.checkins.service import check_in
from steerco.db.engine import make_engine
from tests.cli.test_cli import steerco
from tests.factories import world

LATER = dt.date(2027, 1, 5)


def test_accuracy_names_the_over_confident_owner_in_text_and_json(tmp_path: Path) -> None:
    db = tmp_path / "acc.db"
    steerco("db", "upgrade", db=db, check=True)
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as s:
        s.info["actor"] = "test"
        w = world(s, "acme")
        for name, final in (("Orders", 205.0), ("Margin", 105.0)):
            m = w.metric(name, cadence="weekly", baseline_date="2026-01-01",
                         target_date="2026-12-31")
            for day in ("2026-11-02", "2026-12-01"):
                check_in(s, w.wid, {"metric_id": m.id, "value": 150.0, "as_of": day,
                                    "confidence": 0.9}, today=LATER)
            check_in(s, w.wid, {"metric_id": m.id, "value": final, "as_of": "2026-12-30"},
                     today=LATER)
        s.commit()
    engine.dispose()
    text = steerco("accuracy", "--workspace", "acme", "--as-of", "2027-01-05", db=db,
                   check=True).stdout
    assert "Alice Archer" in text and "over-confident" in text and "per_" not in text
    out = json.loads(steerco("accuracy", "--workspace", "acme", "--as-of", "2027-01-05",
                             "--json", db=db, check=True).stdout)
    (row,) = out["owners"]
    assert row["name"] == "Alice Archer" and row["checkins"] == 4 and row["bias"] == 0.4
    assert out["overall"]["n"] == 4
