"""AES-256-GCM with a keyring, so encryption keys can rotate.

Keys come from `ZAPFLOW_ENCRYPTION_KEYS` ("k2:<base64url 32 bytes>,k1:<...>", newest first) or,
when unset, one key "k0" derived from the secret key with HKDF. Every ciphertext is stored
with the id of the key that sealed it; decryption picks that key, encryption always uses the
newest. Associated data binds a ciphertext to where it is stored, so rows cannot be swapped.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
KEY_BYTES = 32


class UnknownKey(Exception):
    """A ciphertext names a key the keyring does not hold."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    nonce: bytes
    ciphertext: bytes


class Keyring:
    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        for key_id, key in keys:
            if len(key) != KEY_BYTES:
                raise ValueError(f"encryption key {key_id} must be {KEY_BYTES} bytes")
        self.current_id = keys[0][0]
        self._ciphers = {key_id: AESGCM(key) for key_id, key in keys}

    def seal(self, plaintext: bytes, associated: bytes) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        ciphertext = self._ciphers[self.current_id].encrypt(nonce, plaintext, associated)
        return Sealed(self.current_id, nonce, ciphertext)

    def open(self, sealed: Sealed, associated: bytes) -> bytes:
        cipher = self._ciphers.get(sealed.key_id)
        if cipher is None:
            raise UnknownKey(sealed.key_id)
        return cipher.decrypt(sealed.nonce, sealed.ciphertext, associated)


def derive_key(secret: str, purpose: str = "zapflow-session-keys") -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode())
    return hkdf.derive(secret.encode())


def parse_keys(spec: str) -> list[tuple[str, bytes]]:
    """`"k2:<b64>,k1:<b64>"` → [("k2", key), ("k1", key)]."""
    keys = []
    for part in spec.split(","):
        key_id, _, encoded = part.strip().partition(":")
        if not key_id or not encoded:
            raise ValueError("ZAPFLOW_ENCRYPTION_KEYS must look like 'k2:<base64>,k1:<base64>'")
        keys.append((key_id, base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))))
    return keys


def new_key_spec(key_id: str) -> str:
    """A fresh key, in the form `ZAPFLOW_ENCRYPTION_KEYS` takes."""
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode().rstrip('=')}"
