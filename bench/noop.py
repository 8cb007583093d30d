"""A cipher that does not encrypt, for the benchmark's reference runs only.

It is injected with `bootstrap(settings, cipher=NoopCipher(), ...)` and is deliberately not reachable from any
setting: nothing in jidi can be configured to store plaintext.
"""
from __future__ import annotations

from jidi.privacy.cipher import DecryptionError

FORMAT = b"\x00"  # AES-GCM blobs start with b"\x01"; a no-op blob can never be mistaken for one


class NoopCipher:
    def encrypt(self, key: bytes, plaintext: bytes, aad: bytes) -> bytes:
        return FORMAT + plaintext

    def decrypt(self, key: bytes, blob: bytes, aad: bytes) -> bytes:
        if blob[:1] != FORMAT:
            raise DecryptionError("not a no-op blob")
        return blob[1:]
