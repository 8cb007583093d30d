"""The privacy waybill to GB/T 41833-2022 (快递电子运单) as the industry reads it: on every label the code can print, at
least one character of each name is hidden, at least six digits of each phone number, and the unit and the room of
each address (with the house number and the building: the label keeps the road or estate only).

A property test (hypothesis) over random names (Chinese, compound surnames, minority names with ·, Latin), phone numbers
(mobiles, +86, landlines with area code and extension) and addresses (Chinese and English word orders, Arabic, Chinese
and full-width numerals, letters for buildings and units), printed in both label languages. The parties go through
the same masking as `Shipping.label_pdf` (`label_party` below mirrors it line for line, and
tests/test_label.py prints real orders through it), and the PDF is read back with pypdf.
"""
from __future__ import annotations

import io
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from jidi import values
from jidi.errors import AppError
from jidi.i18n import gettext_for
from jidi.privacy import Mask, mask
from jidi.shipping import label

GB_T_41833 = ("JD-2.2", "JD-5.1.1(4)a", "ZK-1.4.3", "ZK-4.1.1d")

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗") + ["欧阳", "司马", "诸葛", "上官"]
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"
LATIN_FIRST = ["Wei", "Li", "Anna", "John", "Mei", "Zhang", "Olga", "Ahmed"]
LATIN_LAST = ["Zhang", "Smith", "Wang", "Ivanova", "Lee", "Chen"]
MINORITY = ["阿卜杜", "热合曼", "买买提", "古丽", "扎西", "卓玛"]

ROADS = ["苏州街", "科技园路", "文三路", "张江路", "西直门内大街", "华山路", "南京西路", "幸福小区", "新建村", "阳光花园", "恒隆广场"]
EN_ROADS = ["Century Avenue", "Nanjing West Road", "Suzhou Street", "Keji Road", "Sunshine Lane"]
CN_NUM = "一二三四五六七八九十"


def names() -> st.SearchStrategy[str]:
    chinese = st.builds(lambda s, g: s + g, st.sampled_from(SURNAMES), st.text(GIVEN, min_size=0, max_size=3))
    minority = st.builds(lambda a, b: f"{a}·{b}", st.sampled_from(MINORITY), st.sampled_from(MINORITY))
    latin = st.builds(lambda a, b: f"{a} {b}", st.sampled_from(LATIN_FIRST), st.sampled_from(LATIN_LAST))
    return st.one_of(chinese, minority, latin).filter(lambda n: 1 <= len(n) <= 30)


def phones() -> st.SearchStrategy[str]:
    mobile = st.builds(lambda p, rest: f"1{p}{rest}", st.sampled_from("3456789"), st.text("0123456789", min_size=9, max_size=9))
    plus = mobile.map(lambda m: "+86" + m)
    landline = st.builds(lambda area, n: f"{area}-{n}", st.sampled_from(["010", "021", "0755", "0571", "0898"]),
                         st.text("123456789", min_size=7, max_size=8))
    return st.one_of(mobile, plus, landline)


def _num(draw, chinese_ok: bool = True) -> str:
    n = draw(st.integers(1, 999))
    form = draw(st.sampled_from(["arabic", "chinese", "fullwidth"] if chinese_ok else ["arabic", "fullwidth"]))
    if form == "chinese" and n <= 10:
        return CN_NUM[n - 1]
    if form == "fullwidth":
        return "".join(chr(ord(ch) + 0xFEE0) for ch in str(n))
    return str(n)


@st.composite
def chinese_addresses(draw) -> tuple[str, list[str]]:
    """(address, the parts that must not be printed: house number, building, unit, room)."""
    hidden: list[str] = []
    road = draw(st.sampled_from(ROADS))
    house = draw(st.sampled_from(["", "{n}号", "{n}弄{m}号", "甲{n}号", "{n}号院"]))
    if house:
        house = house.format(n=_num(draw), m=_num(draw, False))
        hidden.append(house)
    building = draw(st.sampled_from(["", "{n}号楼", "{n}栋", "{n}幢", "{L}座", "{L}栋"]))
    if building:
        building = building.format(n=_num(draw), L=draw(st.sampled_from("ABCDE甲乙丙")))
        hidden.append(building)
    unit = draw(st.sampled_from(["{n}单元", "{L}单元", "{n}门"]))
    unit = unit.format(n=_num(draw), L=draw(st.sampled_from("ABCD甲乙丙东西")))
    room = draw(st.sampled_from(["{r}室", "{r}", "{r}房", "{f}层{r}室"]))
    room = room.format(r=draw(st.integers(101, 3209)), f=draw(st.integers(1, 32)))
    hidden += [unit, room]
    sep = draw(st.sampled_from(["", " ", "-"]))
    return road + house + building + sep + unit + sep + room, hidden


@st.composite
def english_addresses(draw) -> tuple[str, list[str]]:
    """Small to large, as English addresses are written: room, unit, building, then the number and road."""
    room = draw(st.sampled_from(["Room {r}", "Rm {r}", "Flat {L}", "Apt {r}{L}", "Suite {r}"])).format(
        r=draw(st.integers(1, 3209)), L=draw(st.sampled_from("ABCDEF")))
    unit = draw(st.sampled_from(["Unit {n}", "Unit {L}", "Block {L}", "Entrance {n}"])).format(
        n=draw(st.integers(1, 9)), L=draw(st.sampled_from("ABCDEF")))
    building = draw(st.sampled_from(["", "", "Building {n}, ", "Tower {L}, "])).format(n=draw(st.integers(1, 30)),
                                                                                  L=draw(st.sampled_from("ABC")))
    number = draw(st.sampled_from(["", "", "No. {n} ", "{n} "])).format(n=draw(st.integers(1, 2000)))
    road = draw(st.sampled_from(EN_ROADS))
    address = f"{room}, {unit}, {building}{number}{road}"
    return address, [room, unit] + ([building.rstrip(", ")] if building else []) + ([number.strip()] if number.strip() else [])


def label_party(name: str, phone: str, region_code: str, address: str) -> label.LabelParty:
    """As Shipping.label_pdf builds a party: the name as its catalog mask shows it (Mask.NAME), the phone and the address
    with the label rules."""
    return label.LabelParty(mask(Mask.NAME, name), mask(Mask.PHONE_LABEL, phone), region_code, mask(Mask.ADDRESS_LABEL, address))


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def check_party(raw: tuple[str, str, str], printed: label.LabelParty, hidden: list[str], text: str) -> None:
    name, phone, address = raw
    # Names: at least one character hidden (the first one at most is shown, then a mask).
    assert printed.name != name and "*" in printed.name
    assert sum(1 for ch in printed.name if ch != "*") <= 1
    assert len(name) == 1 or name not in text  # (a one-character name prints as ** and may be anyone's first character)
    # Phones: at least six digits hidden, never the whole number.
    digits = "".join(ch for ch in unicodedata.normalize("NFKC", phone).removeprefix("+86") if ch.isdigit())
    shown = sum(ch.isdigit() for ch in printed.phone)
    assert printed.phone.count("*") >= 6 and shown <= len(digits) - 6, (phone, printed.phone)
    assert digits not in re.sub(r"\D", "", text.replace("\n", " ")) or len(digits) < 8
    # Addresses: house number, building, unit and room never printed.
    line = _squash(label.address_line(printed))
    for part in hidden:
        assert _squash(part) not in line, (address, label.address_line(printed), part)
    assert _squash(address) not in _squash(text)
    assert line in _squash(text)  # what was checked is what the label shows


ADDRESSES = st.one_of(chinese_addresses(), english_addresses())


@pytest.mark.promise(*GB_T_41833)
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sender=st.tuples(names(), phones(), ADDRESSES), recipient=st.tuples(names(), phones(), ADDRESSES),
       locale=st.sampled_from(["zh_CN", "en"]))
def test_every_label_hides_what_the_standard_asks(sender, recipient, locale):
    parties, raws, hidden = [], [], []
    for name, raw_phone, (address, parts) in (sender, recipient):
        try:
            phone = values.phone(raw_phone)
        except AppError:
            phone = raw_phone  # a number the form refuses is still masked the same way
        parties.append(label_party(name, phone, "310115", address))
        raws.append((name, phone, address))
        hidden.append(parts)
    data = label.LabelData("JD1234567890128", "https://jidi.example.cn/track/JD1234567890128", "standard", 1500, "110108", "310115",
                           None, parties[0], parties[1])
    text = pdf_text(label.render(data, gettext_for(locale)))
    for raw, printed, parts in zip(raws, parties, hidden, strict=True):
        check_party(raw, printed, parts, text)


@pytest.mark.promise(*GB_T_41833)
@pytest.mark.parametrize("address, hidden", [
    ("Unit B, Century Avenue", ["Unit B"]),  # no digit at all: the unit is still hidden
    ("Flat C, Block D, Sunshine Lane", ["Flat C", "Block D"]),
    ("幸福小区东区甲单元", ["甲单元"]),
    ("和平里西单元三层", ["西单元", "三层"]),
    ("Room twelve, Suzhou Street", ["Room twelve"]),
])
def test_units_and_rooms_without_digits_are_hidden_too(address, hidden):
    printed = mask(Mask.ADDRESS_LABEL, address)
    for part in hidden:
        assert part not in printed, printed
