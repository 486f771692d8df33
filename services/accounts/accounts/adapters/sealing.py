"""Private signing keys at rest: sealed with AES-256-GCM under the key-encryption key
(`ACCOUNTS_KEY_ENCRYPTION_KEY`, 32 random bytes in URL-safe base64), each bound to its `kid`, so a
copy of the database alone reveals no key, and a sealed key moved to another row does not open."""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = "aes256gcm"
NONCE_BYTES = 12


def key_encryption_key(text: str) -> bytes:
    """The key-encryption key from its setting; ValueError unless it is 32 bytes of base64."""
    try:
        key = base64.urlsafe_b64decode(text.encode() + b"=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ValueError("ACCOUNTS_KEY_ENCRYPTION_KEY must be 32 random bytes in URL-safe base64")
    return key


def new_key_encryption_key() -> str:
    """A fresh value for ACCOUNTS_KEY_ENCRYPTION_KEY."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


class KeySealer:
    def __init__(self, key_encryption_key: bytes):
        self._aead = AESGCM(key_encryption_key)

    def seal(self, kid: str, private_pem: bytes) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, private_pem, kid.encode())
        return f"{SCHEME}:{_b64(nonce)}:{_b64(sealed)}"

    def open(self, kid: str, sealed: str) -> bytes:
        """The key's PEM; ValueError when it was not sealed under this key for this kid."""
        scheme, _, rest = sealed.partition(":")
        nonce, _, ciphertext = rest.partition(":")
        if scheme != SCHEME:
            raise ValueError(f"signing key {kid} is not sealed ({scheme or 'plain text'})")
        try:
            return self._aead.decrypt(_unb64(nonce), _unb64(ciphertext), kid.encode())
        except (InvalidTag, binascii.Error, ValueError):
            raise ValueError(f"signing key {kid} does not open with ACCOUNTS_KEY_ENCRYPTION_KEY") from None


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
