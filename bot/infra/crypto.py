"""Encryption at rest and pseudonymous ids, both derived from one secret key."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from bot.errors import WegwijsError


class DecryptionError(WegwijsError):
    """Stored data could not be decrypted (wrong key or damaged data)."""


class Cipher:
    """Authenticated encryption (Fernet: AES-128-CBC + HMAC-SHA256) with a derived key."""

    def __init__(self, secret: str) -> None:
        key = hashlib.sha256(b"wegwijs/encryption/v1\0" + secret.encode()).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))
        self._id_key = hashlib.sha256(b"wegwijs/pseudonym/v1\0" + secret.encode()).digest()

    def __repr__(self) -> str:
        return "Cipher(***)"

    def encrypt(self, data: bytes) -> bytes:
        """Encrypt bytes."""
        return self._fernet.encrypt(data)

    def decrypt(self, token: bytes) -> bytes:
        """Decrypt bytes or raise DecryptionError."""
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise DecryptionError("stored data cannot be decrypted with this key") from exc

    def seal(self, value: Any) -> bytes:
        """Encrypt a JSON-serialisable value."""
        return self.encrypt(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())

    def open(self, token: bytes) -> Any:
        """Decrypt a value sealed with `seal`."""
        return json.loads(self.decrypt(token))

    def pseudonym(self, channel: str, user_ref: str) -> str:
        """A stable pseudonymous id for a channel user: a keyed hash, not reversible."""
        digest = hmac.new(self._id_key, f"{channel}:{user_ref}".encode(), hashlib.sha256)
        return f"p_{digest.hexdigest()[:32]}"
