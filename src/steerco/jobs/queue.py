"""huey around the schedule: one periodic task a minute runs `schedule.tick`
(STEERCO_JOBS_TICK_SECONDS sets another period, e.g. 1 in tests that serve the app and
move its clock; the daily jobs still run once a day — the claims decide that).

Storage comes from STEERCO_JOBS_URL: empty for a SQLite file beside the database
(`<db>.jobs`, or `steerco-jobs.db` in the working directory for PostgreSQL), used by the
consumer thread inside `steerco serve`; `redis://…` for Redis, shared by any number of
`steerco worker` processes. Several consumers may each enqueue the minute's tick: the
claims in the database make the work happen once.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer, Scheduler

from steerco.settings import get_settings

log = logging.getLogger("steerco.jobs")


def storage_of(jobs_url: str, database_url: str) -> tuple[str, str]:
    """('redis', url) or ('sqlite', file) for the job queue's storage."""
    if jobs_url.startswith(("redis://", "rediss://", "unix://")):
        return "redis", jobs_url
    if jobs_url:
        return "sqlite", jobs_url.removeprefix("sqlite:///")
    if database_url.startswith("sqlite:///") and ":memory:" not in database_url:
        return "sqlite", str(Path(database_url.removeprefix("sqlite:///"))) + ".jobs"
    return "sqlite", "steerco-jobs.db"


def make_huey(jobs_url: str | None = None, database_url: str | None = None,
              factory: Any = None, name: str = "steerco") -> Huey:
    """A huey instance with steerco's tick registered as a periodic task (`huey.tick`
    enqueues one now) and the import of an upload (`huey.import_upload(ws, token, dry_run)`
enqueues one); `factory` makes the sessions (default: the configured database)."""
    st = get_settings()
    kind, where = storage_of(st.jobs_url if jobs_url is None else jobs_url,
                             database_url or st.database_url)
    huey: Huey = (RedisHuey(name, url=where) if kind == "redis"
                  else SqliteHuey(name, filename=where))

    @huey.periodic_task(crontab(minute="*"), retries=0)  # type: ignore[untyped-decorator]
    def tick() -> dict[str, Any]:
        from steerco.jobs.schedule import tick as run_tick

        return run_tick(factory or _factory())

    @huey.task(retries=0)  # type: ignore[untyped-decorator]
    def import_upload(workspace_id: int, token: str, dry_run: bool,
                      actor: str | None = None) -> None:
        """Check or import a file uploaded on Admin → Import (transfer/upload.py): the
        file, its progress and report are in the database (`import_uploads`), so any
        worker runs it; nothing goes to the result store."""
        from steerco.transfer.upload import run

        run((factory or _factory()).kw["bind"], workspace_id, token, dry_run, actor)

    huey.tick = tick
    huey.import_upload = import_upload
    return huey


@lru_cache(maxsize=1)
def _configured() -> Huey:
    return make_huey()


def queue_of(state: Any) -> Any:
    """The queue a web process enqueues on: the app's own (`app.state.huey`, which tests
    set), else the configured one (`steerco serve` consumes it in-process, `steerco
    worker` otherwise)."""
    return getattr(state, "huey", None) or _configured()


@lru_cache(maxsize=1)
def _factory() -> Any:
    from steerco.db.engine import make_engine, make_sessionmaker

    return make_sessionmaker(make_engine())


def _scheduler(seconds: int) -> type[Scheduler]:
    """huey's scheduler looking at the periodic tasks every `seconds` (huey: every 60 s,
    a class attribute, hence a subclass), and not enqueuing a tick while one still
    waits in the queue (a tick longer than the period would otherwise pile them up)."""

    class TickScheduler(Scheduler):  # type: ignore[misc]
        periodic_task_seconds = seconds

        def enqueue_periodic_tasks(self, now: Any) -> None:
            if seconds < 60 and self.huey.pending_count():
                return
            super().enqueue_periodic_tasks(now)

    return TickScheduler


def start_consumer(huey: Huey, workers: int = 1, tick_seconds: int | None = None,
                   periodic: bool = True) -> Any:
    """Start a consumer in threads of this process (returns it; `.stop()` ends it) that
    enqueues a tick every `tick_seconds` (default: STEERCO_JOBS_TICK_SECONDS, 60);
    `periodic=False`: run enqueued tasks only, never the tick."""
    seconds = tick_seconds or get_settings().jobs_tick_seconds

    class TickConsumer(Consumer):  # type: ignore[misc]
        scheduler_class = _scheduler(seconds)

    # An idle worker polls the queue at most every max_delay seconds: never slower
    # than the tick comes.
    consumer = TickConsumer(huey, workers=workers, worker_type="thread", periodic=periodic,
                            check_worker_health=False, max_delay=min(10.0, seconds))
    consumer.start()
    return consumer
