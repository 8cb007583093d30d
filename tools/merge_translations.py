"""Fill empty zh_CN translations from JSON files ({"msgid": "msgstr"}) handed in by parallel work.

    python tools/merge_translations.py var/i18n-*.json   # after `make i18n-update`; prints what is still missing
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parent.parent / "src/jidi/locale/zh_CN/LC_MESSAGES/messages.po"


def main(files: list[str]) -> int:
    translations: dict[str, str] = {}
    for f in files:
        translations.update(json.loads(Path(f).read_text(encoding="utf-8")))
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_CN")
    missing = []
    for message in catalog:
        if message.id and not message.string:
            if message.id in translations:
                message.string = translations[message.id]
            else:
                missing.append(message.id)
    with PO.open("wb") as fh:
        write_po(fh, catalog, sort_output=True, width=120)
    for m in missing:
        print("untranslated:", m)
    return 1 if missing else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
