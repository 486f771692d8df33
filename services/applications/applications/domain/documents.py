"""Documents attached to a request, a data update or a CPD activity (docs/rules.md, "Documents"):
what may be uploaded, which are required before a request is sent, and the short-lived signed
links through which the owner and staff read them.

- PDF, JPEG or PNG, at most MAX_SIZE (10 MB); the type is told by the content's first bytes, never
  by the file's name or the type the browser claims.
- The documents a request needs before it is sent depend on its kind and category: a settings file
  (`applications/required_documents.json`, or APPLICATIONS_REQUIRED_DOCUMENTS).
- A link names the document and the moment it stops working, signed with HMAC-SHA256 under
  APPLICATIONS_DOCUMENT_LINK_SECRET; it works for APPLICATIONS_DOCUMENT_LINK_TTL (PT5M)."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from mumaris_shared.contracts import CATEGORIES, REQUEST_KINDS

MAX_SIZE = 10 * 1024 * 1024
DEFAULT_REQUIRED = Path(__file__).resolve().parent.parent / "required_documents.json"


class DocumentKind(StrEnum):
    DEGREE = "degree"
    IDENTITY = "identity"  # passport or national ID
    SPECIALTY_CERTIFICATE = "specialty_certificate"
    EXEMPTION_PROOF = "exemption_proof"  # its id is the exemption claim's evidence_reference
    CPD_CERTIFICATE = "cpd_certificate"
    SUPPORTING = "supporting"  # anything else the applicant adds (a data update's evidence)


DOCUMENT_KINDS = tuple(DocumentKind)


class Attached(StrEnum):
    """What a document is attached to."""

    APPLICATION = "application"
    DATA_UPDATE = "data_update"
    CPD_ACTIVITY = "cpd_activity"


# The content types we keep, by the bytes each kind of file starts with.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)
CONTENT_TYPES = tuple(content_type for _prefix, content_type in _SIGNATURES)


def content_type_of(content: bytes) -> str | None:
    """The type of a file by its first bytes: PDF, PNG or JPEG; None for anything else."""
    return next((content_type for prefix, content_type in _SIGNATURES if content.startswith(prefix)), None)


def within_size(size: int) -> bool:
    return 0 < size <= MAX_SIZE


class InvalidRequiredDocuments(ValueError):
    pass


@dataclass(frozen=True)
class RequiredDocuments:
    kinds: dict[str, dict[str, tuple[str, ...]]]  # request kind -> category -> document kinds

    @classmethod
    def load(cls, path: Path | str = DEFAULT_REQUIRED) -> RequiredDocuments:
        try:
            raw = json.loads(Path(path).read_text(encoding="utf-8"))
            kinds = {str(kind): {cat: tuple(map(str, raw[kind][cat])) for cat in CATEGORIES} for kind in REQUEST_KINDS}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InvalidRequiredDocuments(f"required documents {path}: {exc}") from exc
        unknown = {d for per_category in kinds.values() for listed in per_category.values() for d in listed}
        if unknown - set(DOCUMENT_KINDS):
            raise InvalidRequiredDocuments(f"required documents {path}: unknown kinds {sorted(unknown)}")
        return cls(kinds)

    def missing(self, kind: str, category: str, uploaded: Iterable[str]) -> list[str]:
        """The document kinds a request of `kind` and `category` still lacks, in the file's order."""
        have = set(uploaded)
        return [needed for needed in self.kinds[kind][category] if needed not in have]


@dataclass(frozen=True)
class LinkSigner:
    secret: str

    def signature(self, document_id: str, expires: int) -> str:
        message = f"{document_id}:{expires}".encode()
        return hmac.new(self.secret.encode(), message, hashlib.sha256).hexdigest()

    def expiry(self, now: datetime, ttl: timedelta) -> int:
        """When a link made now stops working (whole seconds since the epoch)."""
        return int((now + ttl).timestamp())

    def ours(self, document_id: str, expires: int, signature: str) -> bool:
        # as bytes: compare_digest refuses str with characters outside ASCII, and a link may carry any
        return hmac.compare_digest(self.signature(document_id, expires).encode(), (signature or "").encode())

    @staticmethod
    def expired(expires: int, now: datetime) -> bool:
        return now.timestamp() >= expires
