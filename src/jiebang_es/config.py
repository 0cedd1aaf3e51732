"""Settings: the one place that reads the environment (``JIEBANG_*``).

It also builds the eventsourcing library's environment from ``JIEBANG_DATABASE_URL``, so no
other ``POSTGRES_*`` or ``SQLITE_*`` variable of the process can change the store by accident.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from jiebang_es.documents.evidence import DEFAULT_EVIDENCE
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
    create_tables: bool = Field(
        default=True,
        description="create the event tables on start; off for a role that may only insert "
        "(ops/postgres-harden.sh)",
    )
    # Read models (projections/): how the runner reads the log and writes its batches.
    projection_batch_size: int = Field(
        default=500, ge=1, le=100_000, description="events applied per read-model transaction"
    )
    projection_poll_interval: float = Field(
        default=0.2, gt=0, le=60, description="seconds between polls for new events"
    )
    projection_max_rate: float | None = Field(
        default=None, gt=0, description="events/s cap for the runner, to spare a busy database"
    )
    # ---- the HTTP API (api/) ----
    jwt_issuer: str = Field(default="jiebang", min_length=1, description="iss of bearer tokens")
    jwt_audience: str = Field(default="jiebang-api", min_length=1, description="aud of tokens")
    jwt_algorithms: Annotated[tuple[str, ...], NoDecode] = Field(
        default=("HS256",), description="allow-list, comma-separated: HS256, RS256, ES256, EdDSA"
    )
    jwt_secret: SecretStr | None = Field(default=None, description="HS256 shared secret")
    jwt_public_key_file: Path | None = Field(default=None, description="PEM, verifies RS/ES/EdDSA")
    jwt_private_key_file: Path | None = Field(default=None, description="PEM, signs (operators)")
    jwt_max_lifetime: int = Field(
        default=86_400,
        ge=60,
        le=86_400 * 31,
        description="seconds: tokens whose exp - iat exceeds it, or without iat, are refused",
    )
    dev_mode: bool = Field(
        default=False, description="without a configured key, use a generated one in ./var"
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="larger bodies: 413")
    # Slow clients hold connections: each phase of a request has a deadline.
    header_timeout: float = Field(
        default=10.0, gt=0, le=300, description="seconds for a request's line and headers"
    )
    body_timeout: float = Field(
        default=30.0, gt=0, le=3600, description="seconds for a request's whole body; then 408"
    )
    keep_alive_timeout: int = Field(
        default=5, ge=1, le=300, description="seconds an idle keep-alive connection is kept"
    )
    read_wait_seconds: float = Field(
        default=5.0, ge=0, le=60, description="read-your-writes: wait this long, then 503"
    )
    request_log_level: str = Field(default="info", pattern="^(debug|info|warning|error)$")
    clock_file: Path | None = Field(
        default=None, description="simulated business clock (rehearsals and tests only)"
    )
    serve_projections: bool = Field(
        default=True,
        description="`jiebang serve` runs the read models' runner in its own process; turn off "
        "where runners run as processes of their own (`jiebang projections run`)",
    )
    # ---- the audit trail (jiebang_es.audit) ----
    audit_key_file: Path = Field(
        default=Path("./var/audit/checkpoint.key"),
        description="Ed25519 private key that signs checkpoints (keep it outside the database)",
    )
    audit_public_key_file: Path = Field(
        default=Path("./var/audit/checkpoint.pub"), description="its public key (PEM)"
    )
    audit_checkpoint_file: Path = Field(
        default=Path("./var/audit/checkpoints.jsonl"),
        description="every checkpoint is also appended here, for supervisors to copy away",
    )
    checkpoint_every_events: int = Field(default=1000, ge=1, description="while serving")
    checkpoint_every_seconds: float = Field(default=60.0, gt=0, description="while serving")
    # ---- documents as evidence (jiebang_es.documents, R-EVIDENCE) ----
    documents_dir: Path | None = Field(
        default=None,
        description="SQLite store: the folder of documents (default: <database>.documents beside "
        "the SQLite file); PostgreSQL keeps them in tables of the same database",
    )
    document_max_bytes: int = Field(
        default=50 * 1024 * 1024, ge=1024, description="largest document accepted; larger: 413"
    )
    evidence_required: bool = Field(
        default=False,
        description="R-EVIDENCE: refuse a step without the document kinds it requires",
    )
    evidence_kinds: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_EVIDENCE),
        description="R-EVIDENCE: JSON object, command name → document kinds it requires",
    )

    @field_validator("jwt_algorithms", mode="after")
    @classmethod
    def _known_algorithms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        allowed = {"HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"}
        unknown = [a for a in value if a not in allowed]
        if unknown or not value:
            raise ValueError(f"{unknown or 'none'}: allowed are {', '.join(sorted(allowed))}")
        return value

    @field_validator("industries", "jwt_algorithms", mode="before")
    @classmethod
    def _split_industries(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    def eventsourcing_env(self) -> dict[str, str]:
        """The library's environment for the configured store."""
        return (
            store_env(self.database_url)
            | self._pool_env()
            | {"CREATE_TABLE": "y" if self.create_tables else "n"}
        )

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
            "APPLICATION_RECORDER_TOPIC": "jiebang_es.recorders:SealingSQLiteRecorder",
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
            "APPLICATION_RECORDER_TOPIC": "jiebang_es.recorders:SealingPostgresRecorder",
        }
        schema = parse_qs(parts.query).get("schema")
        if schema:
            env["POSTGRES_SCHEMA"] = schema[0]
        return env
    raise InvalidValueError(
        "JIEBANG_DATABASE_URL", f"unsupported scheme {parts.scheme!r}: use sqlite or postgresql"
    )
