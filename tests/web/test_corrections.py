"""Correcting a wrong check-in from the metric page: a new row supersedes the old one,
with a required reason shown in the history; the owner does it without an admin."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from steerco.db.engine import make_sessionmaker, unit_of_work
from steerco.db.models import Measurement
from tests.web.test_pages_status import HTML, Demo, _client, _csrf


def _wrong_checkin(demo: Demo) -> tuple[object, str]:
    """The owner checks in a typo (1e20), even ticking "this value is right" at the outlier
    warning, and lands back on the metric page."""
    c = _client(demo, "owner")
    page = c.get(f"/metrics/met_{demo.metric}", headers=HTML)
    r = c.post(f"/metrics/met_{demo.metric}/checkin", headers=HTML,
               data={"csrf_token": _csrf(page.text), "value": "1e20", "confirm_outlier": "1",
                     "as_of": dt.date.today().isoformat()})
    assert r.status_code == 303, r.text
    mea = re.search(r"checked_in=(mea_\d+)", r.headers["location"])
    assert mea is not None
    return c, mea.group(1)


def test_the_owner_corrects_a_typo_and_the_history_shows_both_rows_with_the_reason(
        demo: Demo) -> None:
    c, mea = _wrong_checkin(demo)
    page = c.get(f"/metrics/met_{demo.metric}", headers=HTML)
    link = f"/metrics/met_{demo.metric}/corrections/{mea}"
    assert f'href="{link}"' in page.text
    form = c.get(link, headers=HTML)
    assert form.status_code == 200
    r = c.post(link, headers=HTML, data={"csrf_token": _csrf(form.text), "value": "120",
                                         "as_of": dt.date.today().isoformat(),
                                         "reason": "typo: 1e20 for 120"})
    assert r.status_code == 303, r.text
    history = c.get(r.headers["location"].split("#")[0], headers=HTML).text
    assert "Correction: typo: 1e20 for 120" in history
    assert "superseded" in history and "correction" in history
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        old_key = int(mea.split("_")[1])
        new = s.scalar(select(Measurement).where(Measurement.supersedes_id == old_key))
        assert new is not None and new.value == 120
        assert s.get(Measurement, old_key).value == 1e20  # the old row stays as it was


def test_a_correction_without_a_reason_is_refused_in_place_keeping_the_input(
        demo: Demo) -> None:
    c, mea = _wrong_checkin(demo)
    link = f"/metrics/met_{demo.metric}/corrections/{mea}"
    form = c.get(link, headers=HTML)
    r = c.post(link, headers=HTML, data={"csrf_token": _csrf(form.text), "value": "121",
                                         "as_of": "1999-01-01", "reason": ""})
    assert r.status_code == 422
    assert 'id="err-reason"' in r.text and 'value="121"' in r.text
    with unit_of_work(make_sessionmaker(demo.app.state.engine)) as s:
        assert s.scalar(select(Measurement).where(
            Measurement.supersedes_id == int(mea.split("_")[1]))) is None


def test_a_viewer_cannot_open_the_correction_of_someone_elses_check_in(demo: Demo) -> None:
    _, mea = _wrong_checkin(demo)
    r = _client(demo, "viewer").get(f"/metrics/met_{demo.metric}/corrections/{mea}",
                                    headers=HTML)
    assert r.status_code == 403


def test_the_correction_form_offers_the_old_value_to_the_last_digit() -> None:
    from steerco.web.pages.corrections import _exact

    assert _exact(40088912.34) == "40088912.34"
    assert _exact(120.0) == "120" and _exact(1e20) == "1e+20" and _exact(-0.125) == "-0.125"
