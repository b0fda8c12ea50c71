"""Atelier's configuration: one pydantic-settings class, read from the environment.

Names: ``ATELIER_*`` for our own settings, plus the conventional ``DATABASE_URL``, ``REDIS_URL``,
``OPENAI_API_KEY`` and ``OPENAI_BASE_URL``. When ``DATABASE_URL`` / ``REDIS_URL`` are unset the
embedded PostgreSQL / Redis under ``ATELIER_HOME`` are used (see :mod:`catalog.embedded_servers`).
"""

from __future__ import annotations

from datetime import tzinfo
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import platformdirs
from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from catalog.accounts.time_zones import checked_time_zone
from catalog.secret_keys import checked_environment_key
from catalog.settings_error import SettingsError

MAX_CREDITS = 2**31 - 1
"""The largest balance, grant or price in credits: what GraphQL's 32-bit ``Int`` can show an app."""
MAX_CREDIT_RATE = 1_000_000.0
"""The largest price multiplier: the dearest reflection (28 units, :mod:`billing.pricing`) stays far
below :data:`MAX_CREDITS` and the ledger's 32-bit amounts."""
MAX_REFLECTION_RUNS = 10
"""The most runs ``ATELIER_REFLECTION_MAX_RUNS`` may allow one reflection: each run may be a paid LLM
call and up to a deadline of waiting for the artist, so the cap itself is bounded."""


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("atelier", appauthor=False))


class AtelierSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ATELIER_", extra="ignore", frozen=True, populate_by_name=True
    )

    home: Path = Field(default_factory=_default_home)
    """Data directory: embedded servers, thumbnails, the demo library."""

    database_url: str | None = Field(default=None, validation_alias=AliasChoices("DATABASE_URL"))
    """SQLAlchemy/asyncpg URL; ``postgresql://`` is accepted and upgraded to ``postgresql+asyncpg://``."""

    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL"))

    openai_api_key: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_API_KEY"))
    openai_base_url: str | None = Field(default=None, validation_alias=AliasChoices("OPENAI_BASE_URL"))

    require_services: bool = False
    """Refuse to start embedded servers: ``DATABASE_URL`` and ``REDIS_URL`` must be set (containers)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    timezone: str = "UTC"
    """IANA zone used to interpret naive tool times (per-user zones override it)."""

    secret_key: str | None = None
    """Signs thumbnail URLs; when unset (or blank) a random key is kept in ``ATELIER_HOME/secret.key``.
    At least 32 bytes (:func:`catalog.secret_keys.checked_environment_key`)."""

    debug: bool = False
    """Development mode: unexpected errors are shown instead of masked."""

    graphiql: bool = True
    """Serve the GraphiQL IDE on ``GET /graphql`` (queries still need a token)."""

    embed_worker: bool = True
    """``atelier serve`` runs the arq worker in-process when true."""

    watch_folders: list[Path] = Field(default_factory=list)
    """Folders ``atelier serve`` watches for new images (JSON list in the environment)."""

    watch_user: str = "artist"
    """Owner of images arriving in ``watch_folders``."""

    prompt_embeddings: bool = True
    """Embed new prompts (all-MiniLM-L6-v2) in the worker; off: lexical prompt similarity only."""

    thumbnail_size_px: int = 256

    # --- thumbnail storage (catalog/storage/): a local folder, or an S3-compatible bucket ---
    thumbnail_dir: Path | None = None
    """``ATELIER_THUMBNAIL_DIR``: the local thumbnail folder (default ``ATELIER_HOME/thumbnails``).
    Every API replica and worker must see the same folder (a shared volume) unless S3 is used."""
    s3_bucket: str | None = None
    """``ATELIER_S3_BUCKET``: store thumbnails in this S3-compatible bucket instead of a folder."""
    s3_prefix: str = "thumbnails/"
    """Key prefix of the thumbnails in the bucket."""
    s3_endpoint_url: str | None = None
    """Endpoint of an S3-compatible store (MinIO, R2, …); unset: AWS."""
    s3_region: str = "us-east-1"
    s3_access_key_id: str | None = None
    """Unset: boto3's usual credential chain (environment, instance role, …)."""
    s3_secret_access_key: str | None = None
    s3_presigned_redirect: bool = True
    """The thumbnail route answers with a redirect to a presigned URL (true) or streams the bytes
    through the API (false: the bucket need not be reachable by browsers)."""
    s3_presigned_seconds: int = Field(default=300, ge=10)
    """Lifetime of a presigned thumbnail URL."""
    import_batch_size: int = 500

    # --- uploads over GraphQL (``uploadAssets``, multipart requests; catalog/importing/uploads.py) ---
    upload_dir: Path | None = None
    """``ATELIER_UPLOAD_DIR``: where uploaded files are kept (default ``ATELIER_HOME/uploads``); their
    assets point at them, so every API replica and worker must see the same folder."""
    upload_max_file_bytes: int = Field(default=50_000_000, ge=1)
    """``ATELIER_UPLOAD_MAX_FILE_BYTES``: the largest file one upload may carry (413 beyond it)."""
    upload_max_request_bytes: int = Field(default=200_000_000, ge=1)
    """``ATELIER_UPLOAD_MAX_REQUEST_BYTES``: the largest multipart request body (all files with the
    ``operations`` and ``map`` fields; 413 beyond it)."""
    upload_max_files: int = Field(default=100, ge=1)
    """``ATELIER_UPLOAD_MAX_FILES``: the most files one multipart request may carry (413 beyond it)."""

    # --- credits and reflections (billing/, reflection/) ---
    reflection_min_assets: int = Field(default=50, ge=1)
    """Sessions with fewer assets cannot be reflected on (checked at quote and at confirm)."""
    quote_ttl_seconds: int = Field(default=900, ge=10)
    """A reflection quote can be confirmed for this long (15 min)."""
    hold_ttl_seconds: int = Field(default=1800, ge=30)
    """A credit hold not captured within this time is voided by the sweeper (30 min)."""
    idempotency_key_retention_hours: int = Field(default=48, ge=24)
    """Confirm idempotency keys are kept at least this long (never under 24 h)."""
    reflection_deadline_seconds: int = Field(default=600, ge=5)
    """A running reflection not delivered within this time is failed and its hold voided; the LLM
    call's own deadline is shorter (see :func:`reflection.service.llm_deadline_seconds`)."""
    reflection_max_runs: int = Field(default=3, ge=1, le=MAX_REFLECTION_RUNS)
    """``ATELIER_REFLECTION_MAX_RUNS``: how many runs one reflection may start (each takes the lease and
    may call the LLM). A run cancelled before it finished (arq's job timeout, a worker's stop) hands the
    reflection back for another run while fewer than this many started; when the last allowed run is
    lost (cancelled, or past its lease) the reflection fails and its hold is voided (see
    :mod:`reflection.runner`). 1–10."""
    signup_credits: int = Field(default=0, ge=0, le=MAX_CREDITS)
    """Credits granted to every new user (promotional grant, once per user)."""
    demo_credits: int = Field(default=60, ge=0, le=MAX_CREDITS)
    """Credits granted once to the demo user of ``atelier serve --with-demo``."""
    curator_model: str = "gpt-4o-mini"
    """The Chat Completions model asked for reflections when an LLM is configured."""
    curator_credit_rate: float = Field(default=1.0, gt=0, le=MAX_CREDIT_RATE)
    """Price multiplier of the configured model (see :mod:`billing.pricing`)."""
    stripe_secret_key: str | None = None
    """Enables card purchases of credit packs through Stripe Checkout."""
    stripe_webhook_secret: str | None = None
    """Verifies ``POST /webhooks/stripe`` signatures."""
    stripe_api_base: str | None = None
    """Override of Stripe's API base URL (tests point it at a loopback server)."""
    public_base_url: str = "http://127.0.0.1:8000"
    """Where the app is reached by a browser (Stripe Checkout's success and cancel pages)."""
    credit_packs: list[dict[str, object]] | None = None
    """Credit packs on sale (JSON list of ``{"id", "name", "credits", "price_cents", "currency"}``);
    unset: :data:`billing.packs.DEFAULT_CREDIT_PACKS`."""

    # --- GraphQL cost limits (api/graphql/cost_limits.py) ---
    api_max_query_cost: int = Field(default=10_000, ge=1)
    """Largest estimated cost of one GraphQL request (:mod:`api.graphql.query_cost`); more is refused
    with ``QUERY_TOO_COSTLY`` before anything runs. 10,000 is ~40 ms of CPU for the heaviest such
    query (100 sessions × 47 assets) and holds any page the product shows (20 cards with thumbnails
    and phases cost ~1,200); see BENCHMARKS.md, "API isolation"."""
    api_cost_budget: int = Field(default=300_000, ge=1)
    """Cost each token (each client address when anonymous) may spend per window, kept in Redis;
    more is refused with ``RATE_LIMITED`` (HTTP 429, ``Retry-After``) until the window ends."""
    api_cost_window_seconds: float = Field(default=60.0, gt=0)
    """Length of a budget window (fixed, starting at the key's first charge)."""
    api_max_concurrent_per_token: int = Field(default=2, ge=1)
    """``/graphql`` requests of one token (one client address when anonymous) run at once per process;
    more wait their turn, so one client's heavy queries do not crowd out the others."""

    @property
    def llm_configured(self) -> bool:
        """An LLM answers reflections when ``OPENAI_BASE_URL`` or ``OPENAI_API_KEY`` is set; otherwise the
        built-in offline curator does."""
        return bool(self.openai_base_url or self.openai_api_key)

    @model_validator(mode="after")
    def _hold_outlives_the_run(self) -> AtelierSettings:
        if self.hold_ttl_seconds <= self.reflection_deadline_seconds:
            raise ValueError(
                "ATELIER_HOLD_TTL_SECONDS must exceed ATELIER_REFLECTION_DEADLINE_SECONDS: a running "
                "reflection's credit hold may not expire before its run does"
            )
        return self

    @field_validator("home", "thumbnail_dir", "upload_dir", mode="after")
    @classmethod
    def _absolute_folder(cls, value: Path | None) -> Path | None:
        """``~`` expanded and made absolute against the working directory at start-up: the embedded
        servers run with their own working directory, and stored thumbnail and upload paths must mean
        the same folder to every later command, wherever it is started."""
        return None if value is None else value.expanduser().absolute()

    @field_validator("watch_folders", mode="after")
    @classmethod
    def _absolute_folders(cls, value: list[Path]) -> list[Path]:
        return [folder.expanduser().absolute() for folder in value]

    @field_validator("secret_key", mode="after")
    @classmethod
    def _usable_secret_key(cls, value: str | None) -> str | None:
        return checked_environment_key(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """The zone new users get must be one ``updateViewer`` accepts: the one rule,
        :func:`~catalog.accounts.time_zones.checked_time_zone` (``posixrules``, ``localtime``,
        ``right/…`` and ``posix/…`` load as ``ZoneInfo`` but are files, not IANA zone names). Its error
        (a ``ValueError``) reaches the user as ``ATELIER_TIMEZONE: unknown time zone …``."""
        return checked_time_zone(value)

    @cached_property
    def tz(self) -> tzinfo:
        return ZoneInfo(self.timezone)

    @property
    def thumbnails_dir(self) -> Path:
        """The local thumbnail folder (used when no S3 bucket is configured)."""
        return self.thumbnail_dir or self.home / "thumbnails"

    @property
    def uploads_dir(self) -> Path:
        """Where uploaded files are kept (default ``ATELIER_HOME/uploads``): imported assets point at them."""
        return self.upload_dir or self.home / "uploads"

    @property
    def shares_services(self) -> bool:
        """Both ``DATABASE_URL`` and ``REDIS_URL`` are set: no embedded server runs, so any number of
        processes may share one ``ATELIER_HOME``."""
        return bool(self.database_url and self.redis_url)

    @property
    def embedded_pg_dir(self) -> Path:
        return self.home / "pg"

    @property
    def embedded_redis_dir(self) -> Path:
        return self.home / "redis"


def load_settings() -> AtelierSettings:
    """Read settings from the environment now (no module-level singleton: tests build their own).

    Raises :class:`~catalog.settings_error.SettingsError` naming each variable that cannot be used
    (``ATELIER_PORT: Input should be less than or equal to 65535 (got '99999')``)."""
    try:
        return AtelierSettings()
    except ValidationError as error:
        problems = [
            _problem_line(str(problem["loc"][0]), problem["msg"], problem.get("input"))
            if problem["loc"]
            else problem["msg"]
            for problem in error.errors()
        ]
        raise SettingsError("; ".join(problems)) from None


SECRET_FIELDS = frozenset(
    {"secret_key", "openai_api_key", "s3_secret_access_key", "stripe_secret_key", "stripe_webhook_secret"}
)
"""Settings whose values an error message never quotes (it may reach a log or a terminal recording)."""


def _problem_line(field_name: str, message: str, given: object) -> str:
    """One refused variable: its name, why, and what it held (unless it is a secret)."""
    line = f"{_variable(field_name)}: {message.removeprefix('Value error, ')}"
    return line if field_name in SECRET_FIELDS else f"{line} (got {given!r})"


def _variable(field_name: str) -> str:
    """The environment variable a settings field is read from."""
    field = AtelierSettings.model_fields.get(field_name)
    alias = field.validation_alias if field is not None else None
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return f"ATELIER_{field_name.upper()}"
