"""Settings: the one place that reads the environment (``JIEBANG_*``).

It also builds the eventsourcing library's environment from ``JIEBANG_DATABASE_URL``, so no
other ``POSTGRES_*`` or ``SQLITE_*`` variable of the process can change the store by accident.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import parse_qs, unquote, urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from jiebang_es.crypto import CryptoMode
from jiebang_es.documents.evidence import DEFAULT_EVIDENCE
from jiebang_es.domain.content import (
    DEFAULT_COMMITMENT_MIN_RATIO,
    DEFAULT_FORBIDDEN_CONDITIONS,
    DraftPolicy,
)
from jiebang_es.domain.numbering import format_number
from jiebang_es.domain.rules import DEFAULT_INDUSTRIES
from jiebang_es.domain.schedule import parse_default_schedule
from jiebang_es.domain.values import credit_code
from jiebang_es.errors import InvalidValueError

DEFAULT_DATABASE_URL = "sqlite:///./var/jiebang.db"
# R-RETENTION: years a kind of record keeps its personal information after it closed.
DEFAULT_RETENTION_YEARS = {"project": 10, "application": 10, "expert": 10}
DEFAULT_OBJECTION_CHANNEL = (
    "公示期内，任何单位或个人可向沙坪坝区科学技术局书面提出异议，写明异议项目、事实和理由，"
    "并署真实姓名（单位加盖公章）及联系方式；逾期或匿名异议不予受理。"
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIEBANG_", extra="ignore")

    database_url: str = Field(
        default=DEFAULT_DATABASE_URL,
        description="sqlite:///PATH (embedded default) or postgresql://USER:PASSWORD@HOST:PORT/DB",
    )
    crypto: CryptoMode = Field(
        default="intl",
        description="intl (SHA-256, Ed25519, AES-GCM) or sm (SM3, SM2, SM4) for a new store",
    )
    # NoDecode: the variable is a plain comma-separated list, not JSON.
    industries: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEFAULT_INDUSTRIES, description="R-INDUSTRY: the district's industries"
    )
    # ---- the challenge side of RULES.md version 2 (docs/rules-challenge.md) ----
    district_code: str = Field(
        default="500106",
        pattern=r"^[0-9]{6}$",
        description="R-EU-LOCAL: the district's administrative division code (Shapingba 500106)",
    )
    forbidden_solver_conditions: Annotated[tuple[str, ...], NoDecode] = Field(
        default=DEFAULT_FORBIDDEN_CONDITIONS,
        description="R-OPEN: words that make conditions for solvers a registration, age, "
        "degree or title threshold (comma-separated)",
    )
    eu_commitment_min_ratio: Decimal = Field(
        default=DEFAULT_COMMITMENT_MIN_RATIO,
        ge=0,
        le=100,
        description="R-EU-COMMIT: the end user's own R&D investment is at least this share of "
        "the district's funding (and always more than zero)",
    )
    bureau_code: str | None = Field(
        default=None,
        description="the bureau's credit code; when set, only its staff act as the bureau",
    )
    notice_working_days: int = Field(default=5, ge=1, le=60, description="R-PUBLICITY")
    # The expert pool and its draws (R-DRAW, R-CONFLICT).
    expert_max_seats_per_year: int = Field(
        default=6, ge=1, le=100, description="R-DRAW: panels one expert may sit on in a year"
    )
    expert_relation_years: int = Field(
        default=3,
        ge=0,
        le=30,
        description="R-CONFLICT: years a former employer or a collaboration still excludes",
    )
    # ---- the project's side of the procedure (docs/rules-project.md) ----
    objection_channel: str = Field(
        default=DEFAULT_OBJECTION_CHANNEL,
        min_length=1,
        description="R-PUBLICITY: where and how the public objects, printed on every notice",
    )
    district_number_format: str = Field(
        default="SPB-KJ-{year}-{seq:03d}",
        min_length=1,
        description="R-OBJECTION: the district project number; {year} and {seq} (per year)",
    )
    payment_schedule_default: str = Field(
        default="signature:50,milestone:1:30,final_assessment:20",
        min_length=1,
        description="R-DISBURSE: a contract drafted without tranches gets these "
        "condition:percent shares of its budget",
    )
    credit_max_age_days: int = Field(
        default=30,
        ge=0,
        le=3650,
        description="R-CREDIT: a unit's credit check counts for this many days after it was made",
    )
    holiday_schedule: Path | None = Field(
        default=None, description="JSON file of announced holiday schedules for later years"
    )
    log_level: str = Field(default="warning", pattern="^(debug|info|warning|error)$")
    pool_size: int = Field(default=5, ge=1, description="PostgreSQL connection pool size")
    pool_max_overflow: int = Field(default=10, ge=0)
    connect_timeout: int = Field(default=5, ge=1, description="seconds")
    lock_timeout: int = Field(default=5, ge=0, description="seconds, PostgreSQL table lock wait")
    pool_pre_ping: bool = Field(
        default=False, description="check each PostgreSQL connection before lending it"
    )
    group_commit_max: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="commands saved in one transaction when they arrive together (1: each alone)",
    )
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
        default=False,
        description="without a configured key, use a generated one beside the store (SQLite) "
        "or in ~/.config/jiebang (PostgreSQL)",
    )
    dev_secret_file: Path | None = Field(
        default=None, description="dev mode: keep the generated token secret here instead"
    )
    # ---- the web pages (api/web) ----
    session_secret: SecretStr | None = Field(
        default=None,
        description="signs the web pages' session and CSRF cookies (at least 32 characters); "
        "without it, sign-in is off unless dev mode generates one in ./var",
    )
    session_max_age: int = Field(
        default=28_800,
        ge=60,
        le=86_400 * 31,
        description="seconds a signed-in session lasts (never past its token's expiry)",
    )
    max_body_bytes: int = Field(default=1_048_576, ge=1024, description="larger bodies: 413")
    # Slow clients hold connections: each phase of a request has a deadline.
    header_timeout: float = Field(
        default=10.0, gt=0, le=300, description="seconds for a request's line and headers"
    )
    body_timeout: float = Field(
        default=30.0, gt=0, le=3600, description="seconds for a request's whole body; then 408"
    )
    http: Literal["httptools", "h11"] = Field(
        default="httptools", description="the HTTP/1.1 parser: httptools (C) or h11 (Python)"
    )
    event_loop: Literal["uvloop", "asyncio"] = Field(
        default="uvloop", description="the server's event loop: uvloop (libuv) or asyncio's own"
    )
    keep_alive_timeout: int = Field(
        default=5, ge=1, le=300, description="seconds an idle keep-alive connection is kept"
    )
    # A thread back from the database waits up to this long for the interpreter lock while
    # the request threads compute: the runner's batch waits at each of its round trips.
    # 1 ms instead of Python's 5 ms cut the read models' lag p95 under load by a fifth, at the
    # same throughput (docs/benchmarks.md).
    switch_interval: float = Field(
        default=0.001,
        ge=0.0001,
        le=0.1,
        description="seconds: the interpreter's thread switch interval in `serve`",
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
    # ---- operations: readiness and metrics (api/routers/health.py, api/metrics.py) ----
    ready_max_lag_events: int = Field(
        default=1000,
        ge=0,
        description="/v1/health/ready: the read models may be at most this many events behind",
    )
    ready_max_lag_seconds: float = Field(
        default=60.0,
        ge=0,
        description="/v1/health/ready: … and the oldest event they lack at most this old",
    )
    metrics_enabled: bool = Field(default=True, description="serve Prometheus metrics at /metrics")
    metrics_token: SecretStr | None = Field(
        default=None,
        description="when set, /metrics answers only `Authorization: Bearer <this token>`",
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
    audit_verification_file: Path = Field(
        default=Path("./var/audit/last-verification.json"),
        description="`jiebang audit verify` writes its result here; /metrics reports it",
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
        default=True,
        description="R-EVIDENCE: refuse a step without the document kinds it requires",
    )
    evidence_kinds: dict[str, tuple[str, ...]] = Field(
        default_factory=lambda: dict(DEFAULT_EVIDENCE),
        description="R-EVIDENCE: JSON object, command name → document kinds it requires; "
        "steps not given keep their default, [] requires nothing",
    )
    pdf_font: str = Field(
        default="",
        description="the font for Chinese in written PDFs: FILE or FILE#FACE (a .ttc's face); "
        "empty: found with fc-match (serif:lang=zh-cn) or the Noto CJK paths; none: DOCX only",
    )

    # ---- personal information (jiebang_es.privacy, docs/personal-information.md) ----
    personal_keys_dir: Path | None = Field(
        default=None,
        description="SQLite store: the folder of the data subjects' keys (default: "
        "<database>.keys beside the SQLite file); PostgreSQL keeps them in a table of the same "
        "database",
    )
    retention_years: dict[str, int] = Field(
        default_factory=lambda: dict(DEFAULT_RETENTION_YEARS),
        description="R-RETENTION: JSON object, kind of record → years its personal information "
        "is kept after the record closed (project: after acceptance or termination; "
        "application: after its last step; expert: after leaving the pool)",
    )

    @field_validator("bureau_code", mode="after")
    @classmethod
    def _bureau_code_holds(cls, value: str | None) -> str | None:
        # A mistyped code would only show as every bureau step refused (403) later.
        if value is None or not value.strip():
            return None
        try:
            return credit_code(value, field_name="bureau_code")
        except InvalidValueError as e:
            raise ValueError(e.message) from None

    @field_validator("industries", mode="after")
    @classmethod
    def _some_industry(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # No listed industry would make every demand an exception to R-INDUSTRY.
        if not value:
            raise ValueError("name at least one industry (comma-separated)")
        return value

    @field_validator("log_level", "request_log_level", mode="before")
    @classmethod
    def _level_in_any_case(cls, value: object) -> object:
        # INFO and info are the same level to the operator who types them.
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("metrics_token", mode="before")
    @classmethod
    def _empty_token_is_unset(cls, value: object) -> object:
        # An empty JIEBANG_METRICS_TOKEN= would refuse every scrape: it means "no token".
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("evidence_kinds", mode="after")
    @classmethod
    def _evidence_over_defaults(
        cls, value: dict[str, tuple[str, ...]]
    ) -> dict[str, tuple[str, ...]]:
        # Given steps change their requirement; the others keep the rule's own list (a map
        # naming one step would otherwise drop the other eight requirements, silently).
        return {**DEFAULT_EVIDENCE, **value}

    @field_validator("retention_years", mode="after")
    @classmethod
    def _retention_kinds(cls, value: dict[str, int]) -> dict[str, int]:
        unknown = sorted(set(value) - set(DEFAULT_RETENTION_YEARS))
        if unknown:
            raise ValueError(
                f"unknown kinds of record {unknown}; known: {sorted(DEFAULT_RETENTION_YEARS)}"
            )
        if any(not 0 <= years <= 100 for years in value.values()):
            raise ValueError("retention periods are whole years from 0 to 100")
        return {**DEFAULT_RETENTION_YEARS, **value}

    @field_validator("payment_schedule_default", mode="after")
    @classmethod
    def _schedule_parses(cls, value: str) -> str:
        try:
            parse_default_schedule(value)
        except InvalidValueError as e:
            raise ValueError(e.message) from None
        return value

    @field_validator("district_number_format", mode="after")
    @classmethod
    def _number_format(cls, value: str) -> str:
        # Numbers are unique because the sequence restarts each year under its year.
        if "{seq" not in value or "{year" not in value:
            raise ValueError("the number format uses {year} and {seq} (the year's sequence)")
        try:
            format_number(value, 2026, 1)
        except InvalidValueError as e:
            raise ValueError(e.message) from None
        return value

    @field_validator("jwt_algorithms", mode="after")
    @classmethod
    def _known_algorithms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        allowed = {"HS256", "HS384", "HS512", "RS256", "ES256", "EdDSA"}
        unknown = [a for a in value if a not in allowed]
        if unknown or not value:
            raise ValueError(f"{unknown or 'none'}: allowed are {', '.join(sorted(allowed))}")
        return value

    @field_validator("industries", "jwt_algorithms", "forbidden_solver_conditions", mode="before")
    @classmethod
    def _split_industries(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    def draft_policy(self) -> DraftPolicy:
        """The configured parts of the draft's rules."""
        return DraftPolicy(
            industries=self.industries,
            forbidden_conditions=self.forbidden_solver_conditions,
            commitment_min_ratio=self.eu_commitment_min_ratio,
        )

    def eventsourcing_env(self) -> dict[str, str]:
        """The library's environment for the configured store (opening it: a new SQLite
        store's folder is made here)."""
        env = make_sqlite_folder(store_env(self.database_url))
        return env | self._pool_env() | {"CREATE_TABLE": "y" if self.create_tables else "n"}

    def _pool_env(self) -> dict[str, str]:
        if not self.database_url.startswith(("postgresql:", "postgres:")):
            return {}
        return {
            "POSTGRES_POOL_SIZE": str(self.pool_size),
            "POSTGRES_MAX_OVERFLOW": str(self.pool_max_overflow),
            "POSTGRES_CONNECT_TIMEOUT": str(self.connect_timeout),
            "POSTGRES_LOCK_TIMEOUT": str(self.lock_timeout),
            "POSTGRES_PRE_PING": "y" if self.pool_pre_ping else "n",
        }


def read_schema_of(schema: str) -> str:
    """The PostgreSQL schema of the read models that belong to an events schema."""
    return "jiebang_read" if schema == "public" else f"{schema}_read"


def make_sqlite_folder(env: dict[str, str]) -> dict[str, str]:
    """The folder of a SQLite store's file made, as the store is opened (it creates the file);
    the environment unchanged."""
    path = env.get("SQLITE_DBNAME", ":memory:")
    if path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    return env


def store_env(url: str) -> dict[str, str]:
    """Translate a database URL into the eventsourcing environment (nothing is created)."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(url[len("sqlite:///") :]) if url.startswith("sqlite:///") else ""
        if not path:
            raise InvalidValueError("JIEBANG_DATABASE_URL", "use sqlite:///PATH")
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
