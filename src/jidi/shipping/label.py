"""The privacy waybill label (隐私面单): a printable 100 mm × 150 mm PDF for a thermal label printer.

It carries what handling a parcel needs and nothing more: the waybill number as a Code 128 barcode and in
print, a QR code with the tracking link (which holds the waybill number only), the service, the weight, the
route at city and district level and the shipping date; and the two parties as the privacy core masks them for
labels — the first character of the name only, a phone number with at least six digits hidden, the region and the
road or community name of the address, without house number, building, unit or room. No ID number, no item or its
value, no full name, phone or address.

This module never sees a plaintext personal value: `Shipping.label_pdf` hands it the masked strings.
Region names stay Chinese whatever the label's language: the parcel is handled and delivered in China.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import re
from pathlib import Path

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from jidi import regions
from jidi.i18n import china_date
from jidi.shipping.states import SERVICE_LABELS

log = logging.getLogger("jidi.shipping.label")

WIDTH, HEIGHT = 100 * mm, 150 * mm
MARGIN = 4 * mm
# A TrueType font with Chinese glyphs, embedded in the label (the glyphs it uses), so that any reader and printer
# shows it: Debian's fonts-wqy-microhei, which `make` installs. (reportlab embeds TrueType outlines only, so not Noto
# CJK's OpenType ones.) Without such a file, Adobe's STSong-Light, which is not embedded: a reader without a Chinese
# font of its own shows empty boxes.
CJK_FONT_FILES = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"))
LATIN_BOLD = "Helvetica-Bold"


@dataclasses.dataclass(frozen=True)
class LabelParty:
    """A party as printed: every field already masked for a label."""

    name: str
    phone: str
    region_code: str
    address: str  # the masked detail (road or community name, then ****), with or without the region names


@dataclasses.dataclass(frozen=True)
class LabelData:
    waybill_no: str
    track_url: str
    service_type: str
    weight_g: int
    origin_region: str
    dest_region: str
    pickup_date: dt.datetime | None  # the shipping date
    sender: LabelParty
    recipient: LabelParty

    def __post_init__(self):
        # A label is built from masked strings only: a Personal here would be a mistake upstream.
        for party in (self.sender, self.recipient):
            for value in (party.name, party.phone, party.address):
                if type(value) is not str:
                    raise TypeError("label fields are masked strings")


def route_name(code: str) -> str:
    """A region at city and district level: 深圳市南山区, 北京市朝阳区 (a municipality stands for its city)."""
    names = regions.lookup(code)
    if names is None:
        return code
    return (names.city or names.province) + (names.district or "")


def address_line(party: LabelParty) -> str:
    """Province, city and district, then the masked detail (unless the sender already wrote the region)."""
    names = regions.lookup(party.region_code)
    if names is None:
        return party.address
    written = [n for n in (names.province, names.city, names.district) if n]
    if any(party.address.startswith(n) for n in written):
        return party.address
    return names.full + party.address


def _cjk_font() -> str:
    for path in CJK_FONT_FILES:
        if path.exists():
            pdfmetrics.registerFont(TTFont("WenQuanYi", str(path), subfontIndex=0))
            return "WenQuanYi"
    log.warning("no Chinese TrueType font found (install fonts-wqy-microhei): labels name STSong-Light without embedding it")
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


CJK = _cjk_font()


_TOKENS = re.compile(r"[A-Za-z0-9*.,:;!?'()/+-]+\s*|\s+|.")  # a Latin word (with its space) or one character


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Break text into lines no wider than `width`: between any two Chinese characters, between Latin words."""
    lines, line = [], ""
    for token in _TOKENS.findall(text):
        if line and pdfmetrics.stringWidth((line + token).rstrip(), font, size) > width:
            lines.append(line.rstrip())
            line = token.lstrip()
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _fit(text: str, font: str, sizes: tuple[float, ...], width: float, max_lines: int) -> tuple[float, list[str]]:
    """The largest size at which `text` takes at most `max_lines` lines; at the smallest, the overflow is cut."""
    for size in sizes:
        lines = _wrap(text, font, size, width)
        if len(lines) <= max_lines:
            return size, lines
    lines = _wrap(text, font, sizes[-1], width)
    return sizes[-1], lines[: max_lines - 1] + [lines[max_lines - 1][:-1] + "…"]


def _shrink(text: str, font: str, size: float, width: float, smallest: float = 6) -> float:
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


class _Label:
    def __init__(self, c: canvas.Canvas):
        self.c = c

    def text(self, x: float, y: float, value: str, size: float, font: str = CJK, align: str = "left") -> None:
        self.c.setFont(font, size)
        {"left": self.c.drawString, "center": self.c.drawCentredString, "right": self.c.drawRightString}[align](x, y, value)

    def rule(self, y: float, width: float = 0.8) -> None:
        self.c.setLineWidth(width)
        self.c.line(MARGIN, y, WIDTH - MARGIN, y)

    def party(self, top: float, badge: str, p: LabelParty, size: float, max_lines: int, box: float) -> None:
        """A party block: a boxed badge (收件人 / 寄件人) on the left; name and phone, then the address, on the right."""
        self.c.setLineWidth(1)
        self.c.rect(MARGIN, top - 2 * mm - box, box, box)
        badge_size = _shrink(badge, CJK, box * 0.45, box - 3)
        self.text(MARGIN + box / 2, top - 2 * mm - box / 2 - badge_size * 0.35, badge, badge_size, align="center")
        x = MARGIN + box + 3 * mm
        width = WIDTH - MARGIN - x
        line = f"{p.name}  {p.phone}"
        self.text(x, top - 2 * mm - size, line, _shrink(line, CJK, size + 1, width))
        addr_size, lines = _fit(address_line(p), CJK, (size, size - 1, size - 2, size - 3), width, max_lines)
        y = top - 2 * mm - size - 2 * mm - addr_size
        for line in lines:
            self.text(x, y, line, addr_size)
            y -= addr_size * 1.25


def render(data: LabelData, gettext) -> bytes:
    """The label as a one-page PDF, its words in the language of `gettext`."""
    _ = gettext
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(WIDTH, HEIGHT), pageCompression=1)
    c.setTitle(data.waybill_no)
    c.setAuthor("")
    c.setCreator("jidi")
    c.setSubject(_("Privacy waybill label"))
    lb = _Label(c)
    right = WIDTH - MARGIN

    # Header: the brand and the service.
    y = HEIGHT - MARGIN
    lb.text(MARGIN, y - 7 * mm, "jidi 寄递", 15)
    service = _(SERVICE_LABELS.get(data.service_type, data.service_type))
    size = _shrink(service, CJK, 13, 40 * mm)
    svc_w = pdfmetrics.stringWidth(service, CJK, size) + 4 * mm
    c.setLineWidth(1.2)
    c.rect(right - svc_w, y - 9 * mm, svc_w, 8 * mm)
    lb.text(right - svc_w / 2, y - 6.6 * mm, service, size, align="center")
    y -= 11 * mm
    lb.rule(y)

    # The waybill number: a Code 128 barcode, the number printed under it.
    bar_h = 16 * mm
    barcode = code128.Code128(data.waybill_no, barHeight=bar_h, barWidth=1.25, quiet=True, humanReadable=False)
    barcode.drawOn(c, (WIDTH - barcode.width) / 2, y - 2 * mm - bar_h)
    y -= 2 * mm + bar_h
    lb.text(WIDTH / 2, y - 5 * mm, data.waybill_no, 12, font=LATIN_BOLD, align="center")
    lb.text(MARGIN, y - 5 * mm, _("Waybill number"), 6)
    y -= 7.5 * mm
    lb.rule(y)

    # The route, at city and district level.
    route = f"{route_name(data.origin_region)} → {route_name(data.dest_region)}"
    size = _shrink(route, CJK, 14, WIDTH - 2 * MARGIN)
    lb.text(WIDTH / 2, y - 3 * mm - size, route, size, align="center")
    y -= 6 * mm + size
    lb.rule(y, 1.2)

    # Recipient (larger), then sender.
    lb.party(y, _("Recipient"), data.recipient, 14, 3, 14 * mm)
    y -= 34 * mm
    lb.rule(y)
    lb.party(y, _("Sender"), data.sender, 10, 2, 11 * mm)
    y -= 24 * mm
    lb.rule(y, 1.2)

    # Bottom: the parcel facts on the left, the tracking QR code on the right.
    qr_size = 26 * mm
    widget = qr.QrCodeWidget(data.track_url, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(qr_size, qr_size, transform=[qr_size / (x1 - x0), 0, 0, qr_size / (y1 - y0), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, c, right - qr_size, y - 1 * mm - qr_size)
    lb.text(right - qr_size / 2, y - 3 * mm - qr_size, _("Scan to track"), 6, align="center")
    # Picked up on, else the chosen pickup window, else ordered on; as a date in China.
    when = china_date(data.pickup_date) or "—"
    facts = [
        (_("Weight"), f"{data.weight_g / 1000:g} kg"),
        (_("Shipping date"), when),
    ]
    fy = y - 6 * mm
    for label, value in facts:
        lb.text(MARGIN, fy, f"{label}: {value}", 9)
        fy -= 5.5 * mm
    note_size, note = _fit(_("Privacy label: names, phone numbers and addresses are partly hidden."), CJK, (6.5, 6), 60 * mm, 3)
    for line in note:
        lb.text(MARGIN, fy, line, note_size)
        fy -= note_size * 1.3

    c.showPage()
    c.save()
    return buf.getvalue()
