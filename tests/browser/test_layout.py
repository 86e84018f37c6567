"""Long words and titles wrap: no page becomes wider than the window."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.browser.conftest import SHOTS, Session, World

#: 300 characters, among them a 120-character word no line can hold.
LONG = ("Grow " + "Supercalifragilistic" * 6 + " " + "the revenue of the northern "
        "region beyond every plan the board has seen " * 5)[:300]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def long_titles(world: World) -> dict[str, str]:
    """An objective and a metric measuring it get 300-character names."""
    from steerco.db.engine import make_engine
    from steerco.db.models import Metric, MetricObjective, Objective

    engine = make_engine(world.database)
    with engine.begin() as conn:
        oid = conn.scalar(select(Objective.id).where(Objective.workspace_id == world.ws)
                          .order_by(Objective.id.desc()))
        mid = conn.scalar(select(MetricObjective.metric_id).where(
            MetricObjective.objective_id == oid))
        conn.execute(update(Objective).where(Objective.id == oid).values(title=LONG))
        if mid is not None:
            conn.execute(update(Metric).where(Metric.id == mid).values(name=LONG))
    engine.dispose()
    out = {"objective": f"/objectives/obj_{oid}", "objectives": "/objectives?q=Grow"}
    if mid is not None:
        out["metric"] = f"/metrics/met_{mid}"
    return out


def _width(pg: Any) -> tuple[int, int]:
    return pg.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, PHONE],
                         ids=["desktop", "phone"])
def test_a_300_character_title_wraps_inside_the_window(
        office: Session, long_titles: dict[str, str], viewport: dict[str, int]) -> None:
    assert len(LONG) == 300
    pg = office.page()
    pg.set_viewport_size(viewport)
    for name, path in long_titles.items():
        pg.goto(path)
        assert LONG[:40] in pg.content(), path
        scroll, inner = _width(pg)
        SHOTS.mkdir(parents=True, exist_ok=True)
        pg.screenshot(path=str(Path(SHOTS) / f"long-title-{name}-{viewport['width']}.png"),
                      full_page=False)
        assert scroll <= inner, f"{path} is {scroll} px wide in a {inner} px window"
    pg.close()


def test_my_work_buttons_stay_on_one_line_at_1366(owner: Session) -> None:
    """The "Check in" buttons of a full table never break mid-word ("Che/ck/in")."""
    pg = owner.page()
    pg.goto("/my-work")
    buttons = pg.locator('a.btn[href$="#checkin"]')
    assert buttons.count() > 0
    SHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(Path(SHOTS) / "my-work-1366.png"), full_page=True)
    lines = pg.evaluate("""() => [...document.querySelectorAll('a.btn[href$="#checkin"]')]
        .map(b => { const r = document.createRange(); r.selectNodeContents(b);
                    return r.getClientRects().length; })""")
    assert set(lines) == {1}, lines
    pg.close()
