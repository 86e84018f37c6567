"""Configuration from the environment (STEERCO_*), with defaults that need nothing else."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """steerco's settings; each can be set as STEERCO_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="STEERCO_", extra="ignore")

    #: SQLite file in the working directory by default; PostgreSQL via
    #: postgresql+psycopg://user@host/db
    database_url: str = "sqlite:///steerco.db"
    #: SQLite waits this long for a lock before reporting "database is locked".
    sqlite_busy_timeout_ms: int = 15_000
    #: Requests one server process works on at once (its thread pool), and as many
    #: pooled PostgreSQL connections: each request holds one, so the pool never opens and
    #: closes connections under load (a pool of 10 under 40 threads spawned a PostgreSQL
    #: backend per request). Few threads, because they share one interpreter lock: with
    #: 50 clients, 4 threads served 1,100 reads/s where 24 served 630 (bench/api_load.py);
    #: run more processes (`steerco serve --workers N`) for more parallelism.
    concurrency: int = 4
    #: List pages each server process keeps (steerco.http.page_cache; 0 turns it off).
    page_cache_entries: int = 1024
    host: str = "127.0.0.1"
    port: int = 8000
    #: Background jobs inside `steerco serve`: 'inline' (a huey consumer thread in the
    #: server) or 'off' (run `steerco worker` processes, or nothing).
    jobs: str = "inline"
    #: The job queue's storage: empty for a SQLite file beside the database
    #: (`<db>.jobs`), or redis://host:port/db for Redis and any number of workers.
    jobs_url: str = ""
    #: How often the job scheduler ticks (runs what is due and delivers the outbox), in
    #: seconds, 1 to 60: a minute in production; tests that serve the app and move its
    #: clock set 1 so the daily jobs follow within a second.
    jobs_tick_seconds: int = Field(default=60, ge=1, le=60)
    #: Where links in e-mails and webhooks point.
    base_url: str = "http://127.0.0.1:8000"
    #: Outgoing e-mail (empty host: no e-mail is sent; the inbox still gets everything).
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_starttls: bool = True
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "steerco@localhost"
    #: Without an SMTP host: write each e-mail as a .eml file into this folder (what
    #: `make run` does, into ./mail, so a newcomer sees what would be sent); empty and
    #: no host: no e-mail at all.
    mail_dir: str = ""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()
