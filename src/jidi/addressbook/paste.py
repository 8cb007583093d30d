"""Smart paste: split a pasted contact ("张三 13800138000 北京市海淀区苏州街20号院2号楼") into its fields.

A pure function: it stores nothing and logs nothing. What it returns is the user's own input, cut into
name, phone, region and detail line for them to review before anything is saved.
"""
from __future__ import annotations

import dataclasses
import re
import unicodedata

from jidi import regions

MAX_PASTE = 500

# A mainland mobile number, possibly with +86 / 0086 / 86 in front and spaces or dashes between digit groups.
_PHONE = re.compile(r"(?<![\d+])(?:(?:\+|00)?86[\s\-]*)?(1[3-9](?:[\s\-]?\d){9})(?!\d)")
_LABELS = (
    "收件人姓名|寄件人姓名|收货人姓名|收件人|收货人|寄件人|发件人|联系人|姓名|名字|"
    "手机号码|手机号|手机|联系电话|联系方式|电话号码|电话|"
    "所在地区|详细地址|收货地址|收件地址|寄件地址|发件地址|地址"
)
# A label starts the text or follows a separator; Chinese labels may omit the colon, English ones may not.
_LABEL = re.compile(rf"(?:^|(?<=[\s,;|]))(?:(?:{_LABELS})\s*:?|(?:name|phone|mobile|tel|address)\s*:)\s*", re.IGNORECASE)
_SEGMENT_SPLIT = re.compile(r"[\n,;|]+")
_ADDRESS_WORDS = re.compile(r"\d|路|街|道|巷|弄|胡同|号|村|镇|乡|楼|栋|幢|室|单元|大厦|小区|院|园|广场|中心")


@dataclasses.dataclass(frozen=True)
class Parsed:
    name: str | None
    phone: str | None
    region_code: str | None
    detail: str | None


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)  # full-width colons, commas and digits become ASCII
    text = text.replace("、", ",").replace("。", ",")
    # Control and format characters (and tabs) act as separators; line breaks are kept as such.
    return "".join(ch if ch == "\n" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") else " " for ch in text)


def _name_like(text: str) -> bool:
    return 0 < len(text) <= 30 and not any(ch.isdigit() for ch in text)


def parse(text: str) -> Parsed:
    """Name, 11-digit phone, region code (possibly only a province or city) and detail line, each None if absent."""
    text = _clean((text or "")[:MAX_PASTE * 2])[:MAX_PASTE]
    phone = None
    if m := _PHONE.search(text):
        phone = re.sub(r"[\s\-]", "", m.group(1))
        text = text[:m.start()] + "\n" + text[m.end():]
    text = _LABEL.sub("\n", text)
    segments = [s.strip() for s in _SEGMENT_SPLIT.split(text)]
    segments = [s for s in segments if s]

    name = region_code = detail = None
    address_at = None
    # The address is the first segment that starts with a region, or has one after a name ("张三 北京市…").
    for i, segment in enumerate(segments):
        words = segment.split()
        for k in range(len(words)):
            code, rest = regions.split_address(" ".join(words[k:]))
            if code is None:
                continue
            head = " ".join(words[:k])
            if head and not _name_like(head):
                continue
            address_at, region_code, detail = i, code, rest
            if head:
                name = head
            break
        if address_at is not None:
            break
    if address_at is None:
        # No region recognised: take the first segment that looks like a street address as the detail line.
        for i, segment in enumerate(segments):
            if _ADDRESS_WORDS.search(segment) and not (_name_like(segment) and len(segment) <= 4):
                address_at, detail = i, segment
                break
    elif not detail and address_at + 1 < len(segments) and _ADDRESS_WORDS.search(segments[address_at + 1]):
        # "北京市海淀区, 苏州街20号": the detail came as the next segment.
        detail = segments[address_at + 1]
        segments[address_at + 1] = ""
    if name is None and detail and len(words := detail.rsplit(None, 1)) == 2 and _name_like(words[1]) \
            and not _ADDRESS_WORDS.search(words[1]):
        # "北京市海淀区苏州街20号院2号楼 张三": the name came after the address.
        detail, name = words
    if name is None:
        name = next((s for i, s in enumerate(segments) if i != address_at and _name_like(s)), None)
    return Parsed(name=name, phone=phone, region_code=region_code, detail=detail or None)
