"""The key ring: versioned master keys (key-encryption keys) and a root secret for keyed hashes.

Hierarchy:
  master key v1, v2, …   wrap each data subject's own data key (envelope encryption); rotating the master
                          re-wraps subject keys in batches, while old versions stay readable until done.
  subject data key        encrypts that subject's fields; deleting it crypto-shreds the subject everywhere,
                          old backups included.
  root secret → HKDF      blind-index, one-time-code, session-token, audit-pseudonym, audit-chain, audit-checkpoint
                          and cookie keys.

Sources: a JSON key file (created with mode 0600; the embedded default lives under ./var/), or the JIDI_KEYS
environment variable holding the same JSON. File keys outside development log a loud warning.
"""
from __future__ import annotations

import base64
import json
import logging
import os
import time
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger(__name__)

KEY_BYTES = 32
# The keys derived from the root secret, one per use.
LABELS = ("blind-index", "otp", "session", "audit", "audit-chain", "audit-checkpoint", "cookie", "consent")


class KeyRingError(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    raw = base64.b64decode(text)
    if len(raw) != KEY_BYTES:
        raise KeyRingError("keys must be 32 bytes")
    return raw


class KeyRing:
    def __init__(self, masters: dict[int, bytes], current: int, root: bytes, source: str = "memory"):
        if current not in masters:
            raise KeyRingError("the current master key version is missing from the key ring")
        self.masters = dict(masters)
        self.current = current
        self.source = source
        self._checked_at = time.monotonic()
        self._mtime = self._source_mtime()
        self._derived = {label: self._derive(root, label) for label in LABELS}

    @staticmethod
    def _derive(root: bytes, label: str) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=b"jidi/" + label.encode()).derive(root)

    def _source_mtime(self) -> float | None:
        try:
            return Path(self.source).stat().st_mtime
        except OSError:
            return None

    def maybe_reload(self, every: float = 5.0) -> None:
        """Pick up master versions that `jidi keys rotate` added to the key file while we were serving."""
        now = time.monotonic()
        if now - self._checked_at < every:
            return
        self._checked_at = now
        mtime = self._source_mtime()
        if mtime is None or mtime == self._mtime:
            return
        fresh = KeyRing.from_json(Path(self.source).read_text(), self.source)
        self.masters, self.current, self._mtime = fresh.masters, fresh.current, mtime

    def derived(self, label: str) -> bytes:
        return self._derived[label]

    def master(self, version: int) -> bytes:
        try:
            return self.masters[version]
        except KeyError:
            raise KeyRingError(f"master key version {version} is not in the key ring") from None

    @classmethod
    def from_json(cls, text: str, source: str) -> "KeyRing":
        data = json.loads(text)
        masters = {int(v): _unb64(k) for v, k in data["master"].items()}
        return cls(masters, int(data["current"]), _unb64(data["root"]), source)


def load_key_ring(key_source: str, *, development: bool) -> KeyRing:
    """Load the ring from the environment ("env") or a key file, creating the file in development."""
    if key_source == "env":
        text = os.environ.get("JIDI_KEYS")
        if not text:
            raise KeyRingError("JIDI_KEY_SOURCE=env but JIDI_KEYS is not set")
        return KeyRing.from_json(text, "env")
    path = Path(key_source)
    if not path.exists():
        if not development:
            raise KeyRingError(f"key file {path} does not exist; create it with `jidi keys init` or set JIDI_KEY_SOURCE=env")
        _write_new_key_file(path)
    if not development:
        log.warning("!!! jidi is using FILE KEYS outside development (%s). Use a key manager or JIDI_KEYS. !!!", path)
    return KeyRing.from_json(path.read_text(), str(path))


def new_key_ring_json() -> str:
    """A new key ring — master key version 1 and a root secret — as the JSON that a key file or JIDI_KEYS holds."""
    data = {"format": 1, "current": 1, "master": {"1": _b64(os.urandom(KEY_BYTES))}, "root": _b64(os.urandom(KEY_BYTES))}
    return json.dumps(data, indent=2)


def _write_new_key_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(new_key_ring_json())


def add_master_version(path: Path) -> int:
    """Append a new master key version to a key file and make it current; returns the new version."""
    data = json.loads(path.read_text())
    new = max(int(v) for v in data["master"]) + 1
    data["master"][str(new)] = _b64(os.urandom(KEY_BYTES))
    data["current"] = new
    _replace(path, data)
    return new


def remove_master_version(path: Path, version: int) -> None:
    """Delete a retired master key version from a key file (never the current one)."""
    data = json.loads(path.read_text())
    if int(data["current"]) == version:
        raise KeyRingError("the current master key version cannot be retired")
    if str(version) not in data["master"]:
        raise KeyRingError(f"master key version {version} is not in the key file")
    del data["master"][str(version)]
    _replace(path, data)


def _replace(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(data, indent=2))
    os.replace(tmp, path)
