"""Encryption of sensitive text fields at rest (AES-256-GCM), with key ids so keys rotate without downtime.

A value is stored as ``0x01 | len(kid) | kid | nonce(12) | ciphertext+tag``. The key id inside each value
says which key decrypts it, so a new key can become the *active* one (new writes) while the old one still
reads what it wrote; a re-encryption pass then rewrites old values under the active key, and the old key
is removed from the settings only after it. The field's name is bound as associated data: a value copied
into another column does not decrypt there.

Keys come from settings (``KEYS`` as ``kid:base64url(32 bytes),kid2:…``) and are never logged or shown.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
_KID = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class CipherError(Exception):
    """A value cannot be decrypted (unknown key id, corrupted, or moved to another field)."""


def new_key() -> str:
    """A fresh key as base64url text, for the settings."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def parse_keys(text: str) -> dict[str, bytes]:
    """``"k1:…,k2:…"`` → {kid: 32-byte key}; ValueError naming the bad entry (never the key)."""
    keys: dict[str, bytes] = {}
    for entry in (e.strip() for e in text.split(",")):
        if not entry:
            continue
        kid, sep, b64 = entry.partition(":")
        if not sep or not _KID.match(kid):
            raise ValueError(f"key entry {kid[:32]!r}: write kid:base64url-key (kid of letters, digits, _ . -)")
        try:
            raw = base64.urlsafe_b64decode(b64 + "=" * (-len(b64) % 4))
        except ValueError:
            raise ValueError(f"key {kid!r} is not base64url") from None
        if len(raw) != 32:
            raise ValueError(f"key {kid!r} must be 32 bytes (AES-256), got {len(raw)}")
        keys[kid] = raw
    return keys


@dataclass(frozen=True)
class FieldCipher:
    keys: dict[str, bytes] = field(repr=False)
    active: str

    def __post_init__(self) -> None:
        if self.active not in self.keys:
            raise ValueError(f"the active key {self.active!r} is not among the keys")

    def encrypt(self, plaintext: str | None, field_name: str) -> bytes | None:
        if plaintext is None:
            return None
        return self.encrypt_bytes(plaintext.encode(), field_name)

    def encrypt_bytes(self, plaintext: bytes, field_name: str) -> bytes:
        kid = self.active.encode()
        nonce = os.urandom(12)
        sealed = AESGCM(self.keys[self.active]).encrypt(nonce, plaintext, field_name.encode())
        return bytes([VERSION, len(kid)]) + kid + nonce + sealed

    def decrypt_bytes(self, blob: bytes, field_name: str) -> bytes:
        kid = self.key_id(blob)
        key = self.keys.get(kid)
        if key is None:
            raise CipherError(f"no key {kid!r} to decrypt {field_name}")
        start = 2 + blob[1]
        try:
            return AESGCM(key).decrypt(blob[start : start + 12], blob[start + 12 :], field_name.encode())
        except InvalidTag:
            raise CipherError(f"{field_name} does not decrypt (corrupted or not this field's value)") from None

    def decrypt(self, blob: bytes | None, field_name: str) -> str | None:
        if blob is None:
            return None
        return self.decrypt_bytes(blob, field_name).decode()

    @staticmethod
    def key_id(blob: bytes) -> str:
        if len(blob) < 2 or blob[0] != VERSION or len(blob) < 2 + blob[1] + 12 + 16:
            raise CipherError("not a value written by this cipher")
        return bytes(blob[2 : 2 + blob[1]]).decode()

    def is_current(self, blob: bytes | None) -> bool:
        """True when ``blob`` is empty or already under the active key."""
        return blob is None or self.key_id(blob) == self.active

    def rotate(self, blob: bytes | None, field_name: str) -> bytes | None:
        """``blob`` re-encrypted under the active key (unchanged when it already is)."""
        if blob is None or self.is_current(blob):
            return blob
        return self.encrypt_bytes(self.decrypt_bytes(blob, field_name), field_name)
