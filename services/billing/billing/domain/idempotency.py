"""Idempotent money-moving calls (docs/api.md): a caller's `Idempotency-Key` names one
attempt. The same key with the same request gives back the first answer; the same key with a
different request is refused, since the caller has mixed up two attempts."""

from __future__ import annotations

import hashlib
import json
from typing import Any

MAX_KEY_LENGTH = 200


def fingerprint(method: str, path: str, body: dict[str, Any]) -> str:
    """What makes two requests "the same": method, path and body, whatever the key order."""
    canonical = json.dumps({"method": method, "path": path, "body": body}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str | None) -> str:
    """The key as given; ValueError when absent, blank or too long."""
    if key is None or not key.strip():
        raise ValueError("an Idempotency-Key header is required")
    if len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"an Idempotency-Key is at most {MAX_KEY_LENGTH} characters")
    return key
