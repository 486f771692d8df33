"""The applications settings (docs/rules.md; .env.example), read from the environment once per process.

LICENCE_VALIDITY             P2Y     an approval starts a licence valid this long (years by the calendar)
LICENCE_RENEWAL_WINDOW       P90D    `expiring` this long before its end; renewal opens then
LICENCE_REMINDERS            P90D,P30D,P7D  e-mails before the end, each once (empty: none)
APPLICATIONS_CORRECTION_DEADLINE P30D a returned request not sent again by then is cancelled
APPLICATIONS_CPD_HOURS       the CPD hours file (default: applications/cpd_hours.json)
APPLICATIONS_REQUIRED_DOCUMENTS  the required documents file (default: applications/required_documents.json)
APPLICATIONS_DOCUMENT_STORAGE    local (files under <var>/documents, or APPLICATIONS_DOCUMENT_DIR) | s3
APPLICATIONS_S3_ENDPOINT, _BUCKET (mumaris-documents), _ACCESS_KEY, _SECRET_KEY, _REGION (us-east-1),
                             _SECURE (false: http)   the S3-compatible object storage, when `s3`
APPLICATIONS_DOCUMENT_LINK_SECRET  the HMAC key of documents' signed links; the default is for
                             development only and is public: set your own anywhere else
APPLICATIONS_DOCUMENT_LINK_TTL   PT5M   how long a signed link works
APPLICATIONS_SCHEDULER_INTERVAL  PT1S, APPLICATIONS_SCHEDULER_BATCH 200
MUMARIS_PUBLIC_URL           where people reach the platform: links and the card's QR code"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from mumaris_shared.config import env, env_duration, env_int, env_period, var_dir
from mumaris_shared.reminders import parse_reminders

from .domain.cpd import DEFAULT_REQUIREMENTS, CpdRequirements
from .domain.documents import DEFAULT_REQUIRED, LinkSigner, RequiredDocuments
from .domain.licences import LicencePolicy

DEV_LINK_SECRET = "mumaris-document-links-dev-secret"
STORAGES = ("local", "s3")


@dataclass(frozen=True)
class S3Settings:
    endpoint: str
    bucket: str
    access_key: str
    secret_key: str
    region: str = "us-east-1"
    secure: bool = False


@dataclass(frozen=True)
class Settings:
    licences: LicencePolicy = field(default_factory=LicencePolicy)
    correction_deadline: timedelta = timedelta(days=30)
    cpd: CpdRequirements = field(default_factory=CpdRequirements.load)
    required_documents: RequiredDocuments = field(default_factory=RequiredDocuments.load)
    storage: str = "local"
    document_dir: Path | None = None
    s3: S3Settings | None = None
    links: LinkSigner = field(default_factory=lambda: LinkSigner(DEV_LINK_SECRET))
    link_ttl: timedelta = timedelta(minutes=5)
    scheduler_interval: timedelta = timedelta(seconds=1)
    scheduler_batch: int = 200
    public_url: str = "http://localhost:8080"

    def __post_init__(self):
        if self.storage not in STORAGES:
            raise ValueError(f"APPLICATIONS_DOCUMENT_STORAGE must be one of {', '.join(STORAGES)}")
        if self.storage == "s3" and self.s3 is None:
            raise ValueError("APPLICATIONS_DOCUMENT_STORAGE=s3 needs APPLICATIONS_S3_ENDPOINT and its keys")

    @classmethod
    def from_env(cls) -> Settings:
        storage = env("APPLICATIONS_DOCUMENT_STORAGE", "local")
        s3 = None
        if env("APPLICATIONS_S3_ENDPOINT"):
            s3 = S3Settings(
                endpoint=env("APPLICATIONS_S3_ENDPOINT"),
                bucket=env("APPLICATIONS_S3_BUCKET", "mumaris-documents"),
                access_key=env("APPLICATIONS_S3_ACCESS_KEY", ""),
                secret_key=env("APPLICATIONS_S3_SECRET_KEY", ""),
                region=env("APPLICATIONS_S3_REGION", "us-east-1"),
                secure=env("APPLICATIONS_S3_SECURE", "false").lower() in ("1", "true", "yes"),
            )
        return cls(
            licences=LicencePolicy(
                validity=env_period("LICENCE_VALIDITY", "P2Y"),
                renewal_window=env_duration("LICENCE_RENEWAL_WINDOW", "P90D"),
                reminders=parse_reminders(env("LICENCE_REMINDERS", "P90D,P30D,P7D")),
            ),
            correction_deadline=env_duration("APPLICATIONS_CORRECTION_DEADLINE", "P30D"),
            cpd=CpdRequirements.load(env("APPLICATIONS_CPD_HOURS", str(DEFAULT_REQUIREMENTS))),
            required_documents=RequiredDocuments.load(env("APPLICATIONS_REQUIRED_DOCUMENTS", str(DEFAULT_REQUIRED))),
            storage=storage,
            document_dir=Path(env("APPLICATIONS_DOCUMENT_DIR") or var_dir() / "documents"),
            s3=s3,
            links=LinkSigner(env("APPLICATIONS_DOCUMENT_LINK_SECRET", DEV_LINK_SECRET)),
            link_ttl=env_duration("APPLICATIONS_DOCUMENT_LINK_TTL", "PT5M"),
            scheduler_interval=env_duration("APPLICATIONS_SCHEDULER_INTERVAL", "PT1S"),
            scheduler_batch=env_int("APPLICATIONS_SCHEDULER_BATCH", 200),
            public_url=env("MUMARIS_PUBLIC_URL", "http://localhost:8080").rstrip("/"),
        )
