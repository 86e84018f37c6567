"""SQL feeds: set one on a metric, run it, show it without its secret (never commits).

A feed reads (as_of, value) rows with one read-only SELECT against another database and
stores the rows it has not read before as measurements with source `sql`, through the
check-in service (the metric's bounds, outlier rule and dates apply as to any check-in).
A run is all or nothing: a failing query or a refused row writes no measurement, is
recorded on the feed (`last_error`) and told to the metric's owner (outbox kind
`feed_failed`, once per distinct error). The URL's password never leaves `url`.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from steerco.checkins.service import check_in
from steerco.db.enums import CADENCE_DAYS, Source
from steerco.db.models import Metric, MetricFeed
from steerco.jobs import repository as outbox
from steerco.kit import clock
from steerco.kit.errors import FieldError, NotFound, ValidationFailed
from steerco.kit.ids import PREFIXES, format_id
from steerco.kit.validation import parse
from steerco.metrics.service import get_metric
from steerco.org.service import get_workspace
from steerco.transfer.feeds import source
from steerco.transfer.feeds.repository import FeedRepository

KIND = "feed_failed"
#: Refused rows named in one error (the rest are counted).
_SHOWN = 5
Fetch = Callable[[str, str], list[tuple[Any, ...]]]


class FeedIn(BaseModel):
    #: None or "": keep the stored URL (a form never has to show it back).
    url: str | None = Field(default=None, max_length=2000)
    query: str = Field(min_length=1, max_length=20_000)


def resolve_metric(session: Session, workspace_id: int, ref: str, field: str = "metric"
                   ) -> Metric:
    """A metric of this workspace by id (`met_12`) or by its name; a name two metrics
    share is refused naming them."""
    ref = (ref or "").strip()
    if ref.startswith(PREFIXES["metric"] + "_"):
        return get_metric(session, workspace_id, ref, field)
    found = FeedRepository(session, workspace_id).metrics_named(ref)
    if len(found) == 1:
        return found[0]
    if not found:
        raise ValidationFailed(FieldError(field, f"no metric is named {ref!r}", ref))
    ids = ", ".join(format_id("metric", m.id) for m in found)
    raise ValidationFailed(FieldError(field, f"{len(found)} metrics are named {ref!r} "
                                             f"({ids}): give the id", ref))


def public(feed: MetricFeed, metric: Metric) -> dict[str, Any]:
    """What a page, the CLI or an API answer may show: the URL masked, never its secret."""
    return {"metric_id": format_id("metric", metric.id), "metric": metric.name,
            "cadence": str(metric.cadence), "url": source.mask(feed.url),
            "query": feed.query, "last_run_at": feed.last_run_at,
            "last_error": feed.last_error, "rows_read": feed.rows_read,
            "rows_stored": feed.rows_stored, "version": feed.version}


def save(session: Session, workspace_id: int, metric: Metric,
         data: FeedIn | dict[str, Any]) -> MetricFeed:
    """Set or change the feed of `metric`. Refused (ValidationFailed naming `url` or
    `query`, never echoing the URL): a URL that is not a SQLite or PostgreSQL database,
    a new feed without one, a query that is not a single SELECT."""
    body = parse(FeedIn, data)
    repo = FeedRepository(session, workspace_id)
    row = repo.of_metric(metric.id)
    errors: list[FieldError] = []
    url = (body.url or "").strip()
    if url:
        try:
            source.parse_url(url)
        except ValueError as exc:
            errors.append(FieldError("url", str(exc), source.mask(url)))
    elif row is None:
        errors.append(FieldError("url", "is required: the SQLAlchemy URL of the database "
                                        "to read, e.g. postgresql+psycopg://user:password"
                                        "@host/db", None))
    try:
        query = source.check_query(body.query)
    except ValueError as exc:
        errors.append(FieldError("query", str(exc), body.query))
    if errors:
        raise ValidationFailed(errors)
    if row is None:
        row = repo.add(MetricFeed(workspace_id=workspace_id, metric_id=metric.id, url=url,
                                  query=query))
    else:
        if url:
            row.url = url
        if row.query != query:
            row.query = query
        row.last_error = None  # a changed feed starts afresh
    session.flush()
    return row


def delete(session: Session, workspace_id: int, metric: Metric) -> None:
    """Remove the feed of `metric` (its measurements stay: evidence is append-only)."""
    repo = FeedRepository(session, workspace_id)
    row = repo.of_metric(metric.id)
    if row is None:
        raise NotFound("feed of metric", metric.name)
    repo.delete(row)


@dataclass
class FeedRun:
    """What one run of one feed did."""

    metric_id: str
    metric: str
    read: int = 0
    stored: int = 0
    #: Rows read before (same metric and date, source sql): not stored again.
    known: int = 0
    error: str | None = None
    dates: list[dt.date] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"metric_id": self.metric_id, "metric": self.metric, "read": self.read,
                "stored": self.stored, "known": self.known, "error": self.error}


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        try:
            return dt.datetime.fromisoformat(v.strip()).date()
        except ValueError:
            pass
    raise ValueError(f"as_of {v!r} is not a date (YYYY-MM-DD)")


def _number(v: Any) -> float:
    if isinstance(v, bool) or v is None:
        raise ValueError(f"value {v!r} is not a number")
    try:
        x = float(v) if isinstance(v, int | float | Decimal | str) else math.nan
    except ValueError:
        x = math.nan
    if not math.isfinite(x):
        raise ValueError(f"value {v!r} is not a finite number")
    return x


class _Refused(Exception):
    pass


def _store(session: Session, workspace_id: int, metric: Metric, rows: list[tuple[Any, ...]],
           today: dt.date, run: FeedRun) -> None:
    """Store the rows not read before through the check-in service; _Refused (with every
    reason) when any row is wrong, so the caller rolls all of them back."""
    known = FeedRepository(session, workspace_id).sql_dates(metric.id)
    seen: set[dt.date] = set()
    why: list[str] = []
    for n, r in enumerate(rows, start=1):
        try:
            if len(r) < 2:
                raise ValueError(f"has {len(r)} column(s); a feed returns (as_of, value)")
            day, value = _date(r[0]), _number(r[1])
        except ValueError as exc:
            why.append(f"row {n}: {exc}")
            continue
        if day in seen:
            why.append(f"row {n}: as_of {day} is in the result twice")
            continue
        seen.add(day)
        if day in known:
            run.known += 1
            continue
        try:
            check_in(session, workspace_id, {
                "metric_id": format_id("metric", metric.id), "value": value,
                "as_of": day, "source": Source.SQL, "note": "read by the SQL feed"},
                today=today)
        except ValidationFailed as exc:
            why.append(f"row {n} ({day}, {value:g}): {exc.detail}")
            continue
        run.stored += 1
        run.dates.append(day)
    if why:
        more = f" (and {len(why) - _SHOWN} more)" if len(why) > _SHOWN else ""
        raise _Refused(f"{len(why)} row(s) refused, nothing stored: "
                       + "; ".join(why[:_SHOWN]) + more)


def _tell_owner(session: Session, workspace_id: int, metric: Metric, error: str,
                now: dt.datetime) -> None:
    owner = FeedRepository(session, workspace_id).person(metric.owner_id)
    if owner is None or not owner.active:
        return
    mid = format_id("metric", metric.id)
    outbox.queue(session, workspace_id, KIND, owner.email, {
        "event": "feed.failed", "subject": mid, "person_id": format_id("person", owner.id),
        "title": f"The SQL feed of “{metric.name}” failed: {error}"[:500],
        "path": f"/metrics/{mid}/edit#feed",
        "action": "Fix the query or the database it reads, then run the feed again."},
        now)


def run_feed(session: Session, workspace_id: int, feed: MetricFeed, metric: Metric,
             now: dt.datetime | None = None, fetch: Fetch | None = None) -> FeedRun:
    """Run one feed now: read, store what is new, record the outcome on the feed."""
    now = now or clock.now()
    ws = get_workspace(session, workspace_id)
    today = clock.today_in(ws.time_zone, now)
    run = FeedRun(format_id("metric", metric.id), metric.name)
    try:
        rows = (fetch or source.fetch)(feed.url, feed.query)
        run.read = len(rows)
        with session.begin_nested():  # all rows or none
            _store(session, workspace_id, metric, rows, today, run)
    except (source.SourceFailed, _Refused) as exc:
        run.error = source.scrub(str(exc), feed.url)[:2000]
        run.stored, run.dates = 0, []
    feed.last_run_at = now
    feed.rows_read = run.read
    feed.rows_stored = run.stored
    if run.error and run.error != feed.last_error:
        _tell_owner(session, workspace_id, metric, run.error, now)
    feed.last_error = run.error
    session.flush()
    return run


def is_due(feed: MetricFeed, metric: Metric, today: dt.date, tz: str) -> bool:
    """Due on `today`: never run, failed last time (retried daily), or its metric's
    cadence (7, 30 or 91 days) has passed since the last run."""
    if feed.last_run_at is None or feed.last_error:
        return True
    last = clock.today_in(tz, feed.last_run_at)
    return (today - last).days >= CADENCE_DAYS[metric.cadence]


def run_feeds(session: Session, workspace_id: int, now: dt.datetime | None = None,
              metric: Metric | None = None, due_only: bool = False,
              fetch: Fetch | None = None) -> list[FeedRun]:
    """Run this workspace's feeds (one metric's, or only those due), in name order."""
    now = now or clock.now()
    ws = get_workspace(session, workspace_id)
    today = clock.today_in(ws.time_zone, now)
    out: list[FeedRun] = []
    for feed, m in FeedRepository(session, workspace_id).all():
        if metric is not None and m.id != metric.id:
            continue
        if due_only and not is_due(feed, m, today, ws.time_zone):
            continue
        out.append(run_feed(session, workspace_id, feed, m, now, fetch))
    if metric is not None and not out:
        raise NotFound("feed of metric", metric.name)
    return out


def feeds(session: Session, workspace_id: int) -> list[dict[str, Any]]:
    """Every feed of this workspace as `public` shows it."""
    return [public(f, m) for f, m in FeedRepository(session, workspace_id).all()]
