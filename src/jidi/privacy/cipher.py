"""AES-256-GCM for fields and wrapped keys. The benchmark may inject another FieldCipher; settings cannot."""
from __future__ import annotations

import os
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

FORMAT = b"\x01"
NONCE_BYTES = 12


class FieldCipher(Protocol):
    def encrypt(self, key: bytes, plaintext: bytes, aad: bytes) -> bytes: ...
    def decrypt(self, key: bytes, blob: bytes, aad: bytes) -> bytes: ...


class DecryptionError(Exception):
    """The ciphertext does not belong here (another row or column), was altered, or its key is gone."""


class AesGcmCipher:
    def encrypt(self, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)

    def decrypt(self, key: bytes, blob: bytes, aad: bytes) -> bytes:
        if blob[:1] != FORMAT:
            raise DecryptionError("unknown ciphertext format")
        nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        try:
            return AESGCM(key).decrypt(nonce, body, aad)
        except Exception as exc:  # InvalidTag: wrong key, row, column or tampered bytes
            raise DecryptionError("ciphertext does not authenticate") from exc
