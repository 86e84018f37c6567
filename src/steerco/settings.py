"""Configuration from the environment (STEERCO_*), with defaults that need nothing else."""

from __future__ import annotations

from functools import lru_cache

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
    #: pooled PostgreSQL connections: each request holds one, so a pool as large as the
    #: thread pool never opens and closes connections under load (measured: a pool of
    #: 10 under 40 threads spawned a PostgreSQL backend per request).
    concurrency: int = 24
    host: str = "127.0.0.1"
    port: int = 8000


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()
