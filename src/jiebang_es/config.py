"""Settings: the one place that reads the environment (``JIEBANG_*``).

It also builds the eventsourcing library's environment from ``JIEBANG_DATABASE_URL``, so no
other ``POSTGRES_*`` or ``SQLITE_*`` variable of the process can change the store by accident.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from jiebang_es.domain.rules import DEFAULT_INDUSTRIES
from jiebang_es.errors import InvalidValueError

DEFAULT_DATABASE_URL = "sqlite:///./var/jiebang.db"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIEBANG_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="sqlite:///PATH (embedded default) or postgresql://USER:PASSWORD@HOST:PORT/DB",
    )
    # NoDecode: the variable is a plain comma-separated list, not JSON.
    industries: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEFAULT_INDUSTRIES, description="R-INDUSTRY: the district's industries"
    )
    bureau_code: str | None = Field(
        default=None,
        description="the bureau's credit code; when set, only its staff act as the bureau",
    )
    notice_working_days: int = Field(default=5, ge=1, le=60, description="R-PUBLICITY")
    holiday_schedule: Path | None = Field(
        default=None, description="JSON file of announced holiday schedules for later years"
    )
    log_level: str = Field(default="warning", pattern="^(debug|info|warning|error)$")
    pool_size: int = Field(default=5, ge=1, description="PostgreSQL connection pool size")
    pool_max_overflow: int = Field(default=10, ge=0)
    connect_timeout: int = Field(default=5, ge=1, description="seconds")
    lock_timeout: int = Field(default=5, ge=0, description="seconds, PostgreSQL table lock wait")

    @field_validator("industries", mode="before")
    @classmethod
    def _split_industries(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    def eventsourcing_env(self) -> dict[str, str]:
        """The library's environment for the configured store."""
        return store_env(self.database_url) | self._pool_env()

    def _pool_env(self) -> dict[str, str]:
        if not self.database_url.startswith(("postgresql:", "postgres:")):
            return {}
        return {
            "POSTGRES_POOL_SIZE": str(self.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.pool_max_overflow),
            "POSTGRES_CONNECT_TIMEOUT": str(self.connect_timeout),
            "POSTGRES_LOCK_TIMEOUT": str(self.lock_timeout),
            "POSTGRES_PRE_PING": "y",
        }


def store_env(url: str) -> dict[str, str]:
    """Translate a database URL into the eventsourcing environment."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path:
            raise InvalidValueError("JIEBANG_DATABASE_URL", "use sqlite:///PATH")
        if path != ":memory:" and not path.startswith("file:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    if parts.scheme in ("postgresql", "postgres"):
        dbname = parts.path.lstrip("/")
        if not dbname:
            raise InvalidValueError("JIEBANG_DATABASE_URL", "name the database: postgresql://…/DB")
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(dbname),
            "POSTGRES_HOST": parts.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(parts.port or 5432),
            "POSTGRES_USER": unquote(parts.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(parts.password or ""),
        }
        schema = parse_qs(parts.query).get("schema")
        if schema:
            env["POSTGRES_SCHEMA"] = schema[0]
        return env
    raise InvalidValueError(
        "JIEBANG_DATABASE_URL", f"unsupported scheme {parts.scheme!r}: use sqlite or postgresql"
    )
