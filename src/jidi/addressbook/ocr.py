"""Text from a photo of a label or a note, for the address form (JD-1.1.2(4)c): Tesseract OCR (Debian's
`tesseract-ocr` with the Simplified Chinese model `tesseract-ocr-chi-sim`, installed by `make run` / `make test`),
run as a process fed the image through a pipe: the photo is not stored or logged (the web server holds an upload
in memory, or above 1 MB in a temporary file it deletes when the request ends), and no service outside this server
sees it. Where Tesseract is not installed, the form says so and asks for pasted text."""
from __future__ import annotations

import shutil
import subprocess

from jidi import errors
from jidi.i18n import N_

MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_SECONDS = 30
_SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"RIFF")  # JPEG, PNG, WebP (RIFF....WEBP)


def not_a_photo() -> errors.AppError:
    return errors.AppError("invalid_photo", N_("Choose a photo (JPEG, PNG or WebP) of up to 5 MB."), 422)


def unavailable() -> errors.AppError:
    return errors.AppError("ocr_unavailable", N_("Reading photos is not available on this server. Paste or type the details "
                                                 "instead."), 503)


def nothing_read() -> errors.AppError:
    return errors.AppError("ocr_nothing_read", N_("No text could be read from that photo. Try a sharper photo, or paste or "
                                                  "type the details."), 422)


def available() -> bool:
    return shutil.which("tesseract") is not None


def read(image: bytes) -> str:
    """The text in a photo, lines joined with spaces (the paste parser splits it into fields)."""
    if not image or len(image) > MAX_BYTES or not image.startswith(_SIGNATURES) or (
            image.startswith(b"RIFF") and image[8:12] != b"WEBP"):
        raise not_a_photo()
    if not available():
        raise unavailable()
    try:
        done = subprocess.run(["tesseract", "stdin", "stdout", "-l", "chi_sim+eng", "--psm", "6"], input=image,
                              capture_output=True, timeout=TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired):
        raise nothing_read() from None
    if done.returncode != 0:  # e.g. the Chinese model is missing, or the image cannot be decoded
        raise unavailable() if b"chi_sim" in done.stderr else nothing_read()
    text = " ".join(line.strip() for line in done.stdout.decode("utf-8", "replace").splitlines() if line.strip())
    # Tesseract puts spaces between Chinese characters: a space between two CJK characters is dropped.
    text = _join_cjk(text)
    if not text:
        raise nothing_read()
    return text


def _join_cjk(text: str) -> str:
    out = []
    for i, ch in enumerate(text):
        if ch == " " and 0 < i < len(text) - 1 and _cjk(text[i - 1]) and _cjk(text[i + 1]):
            continue
        out.append(ch)
    return "".join(out)


def _cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"
