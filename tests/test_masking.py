"""The masking rules of the privacy core, proven over generated values (hypothesis): a label address never shows
the house number or anything after it (lane, building, unit, floor, room, village group), whatever the shape of
the address; a name shows one character at most and not its length; a label phone hides at least six digits.

Pure functions: no database.
"""
from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from jidi.privacy import Mask, mask

MASKING = ("JD-2.2", "JD-5.1.1(4)a", "ZK-1.4.3", "ZK-4.1.1d")
PROPERTY = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# -- generated addresses ---------------------------------------------------------------------------------------
REGIONS = ["", "北京市海淀区", "广东省深圳市南山区", "上海市浦东新区", "湖北省仙桃市", "新疆维吾尔自治区喀什地区喀什市", "海淀区"]
# Characters of road, village and estate names, Chinese numerals among them (科技南十二路, 三里屯, 五道口).
NAME_CHARS = "科技园南北东西中华山苏州西直门内光明幸福人民建设解放新港阳湖文三里屯五道口十二一八七中关张江祖冲之恒隆太古"
ROAD_WORDS = ["路", "街", "大街", "大道", "巷", "胡同", "里", "村", "小区", "花园", "苑", "广场", "大厦", "街道", "镇"]
HOUSE_UNITS = ["号", "弄", "号院", "号楼", "栋", "幢", "座", "单元", "室", "层", "楼", "组", "户", "区", "号房"]
CN_DIGITS = "零一二三四五六七八九"
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def chinese_numeral(n: int) -> str:
    """1–99 as written in addresses: 五, 十八, 二十, 三十五."""
    tens, ones = divmod(n, 10)
    if not tens:
        return CN_DIGITS[ones]
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


@st.composite
def numbers(draw) -> str:
    """A house, building or room number in one of the ways people write it."""
    n = draw(st.integers(1, 9999))
    style = draw(st.sampled_from(["arabic", "full_width", "chinese", "prefixed", "latin", "dashed"]))
    if style == "full_width":
        return str(n).translate(FULL_WIDTH)
    if style == "chinese":
        return chinese_numeral(n % 99 + 1)
    if style == "prefixed":
        return draw(st.sampled_from(["甲", "乙", "No.", "No. ", "#", "第"])) + str(n)
    if style == "latin":
        return draw(st.sampled_from("ABCDEFabcdef")) + draw(st.sampled_from(["", str(n % 30 + 1)]))
    if style == "dashed":
        return f"{n % 30 + 1}-{n % 9 + 1}-{n}"
    return str(n)


@st.composite
def house_parts(draw) -> list[str]:
    """The house-level part: a house number, lane or village group, then building, unit, floor and room."""
    parts = draw(st.lists(st.tuples(numbers(), st.sampled_from(HOUSE_UNITS)), min_size=1, max_size=5))
    tail = draw(st.sampled_from(["", "", "东门", "旁边的小卖部", "张三收", "5F", "B1", "（后门）"]))
    return [n + unit for n, unit in parts] + ([tail] if tail else [])


@st.composite
def addresses(draw) -> tuple[str, str]:
    """(the address, its part before the first house-level token)."""
    road = draw(st.text(alphabet=NAME_CHARS, min_size=1, max_size=6)) + draw(st.sampled_from(ROAD_WORDS))
    before = draw(st.sampled_from(REGIONS)) + draw(st.sampled_from(["", "粤海街道", "张江镇"])) + road
    return before + "".join(draw(house_parts())), before


def shown(masked: str) -> str:
    assert masked.endswith("****")
    return masked.removesuffix("****")


@pytest.mark.promise(*MASKING)
@PROPERTY
@given(addresses())
@example(("华山路18弄5号", "华山路"))
@example(("西城区西直门内大街2号", "西城区西直门内大街"))
@example(("幸福路十八号", "幸福路"))
@example(("科技南十二路２号５F", "科技南十二路"))
@example(("北新桥三条甲5号", "北新桥三条"))
def test_a_label_address_never_shows_the_house_number_or_anything_after_it(case):
    address, before = case
    kept = shown(mask(Mask.ADDRESS_LABEL, address))
    # Only a start of what comes before the house number is shown: nothing from the number on.
    assert unicodedata.normalize("NFKC", before).startswith(kept)
    assert not re.search(r"\d", kept)


@pytest.mark.promise(*MASKING)
@PROPERTY
@given(st.text(max_size=40))
@example("")
@example("路")
@example("东门")
@example("阳光小区张三家")
@example("〡〢号")  # Suzhou numerals
def test_a_label_address_of_any_shape_is_masked(text):
    masked = mask(Mask.ADDRESS_LABEL, text)
    if not text:
        assert masked == ""
        return
    kept = shown(masked)
    assert unicodedata.normalize("NFKC", text).strip().startswith(kept)
    assert not any(unicodedata.category(ch)[0] == "N" for ch in kept)  # no digit of any script
    assert not re.search(r"[零〇一二三四五六七八九十百千两]+(?:号|弄|栋|幢|座|单元|室|层|楼|组)", kept)


@pytest.mark.promise(*MASKING)
@PROPERTY
@given(st.text(st.characters(exclude_characters="*"), min_size=1, max_size=30).filter(str.strip))
@example("张")
@example("王小明")
@example("欧阳娜娜")
def test_a_masked_name_shows_one_character_at_most_and_not_the_length(name):
    masked = mask(Mask.NAME, name)
    assert len(masked) == 2 and masked.endswith("*")
    assert masked != name
    if len(name.strip()) > 1:
        assert masked == name.strip()[0] + "*"
    else:
        assert masked == "**"  # a one-character name keeps none of it


@pytest.mark.promise(*MASKING)
@PROPERTY
@given(st.text(alphabet="0123456789 -+()０１２３", max_size=20))
@example("+8613912345678")
@example("010-12345678")
@example("１３９１２３４５６７８")
def test_a_label_phone_hides_at_least_six_digits(phone):
    digits = [ch for ch in unicodedata.normalize("NFKC", phone).removeprefix("+86") if ch.isdigit()]
    masked = mask(Mask.PHONE_LABEL, phone)
    assert masked.count("*") >= min(6, len(digits))
    assert sum(ch.isdigit() for ch in masked) <= max(0, len(digits) - 6)
