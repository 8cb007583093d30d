"""An invoice as a PDF (A5 landscape), drawn with reportlab in a Chinese TrueType font whose glyphs are embedded, as
the waybill label does (Debian's fonts-wqy-microhei, which `make` installs), so any reader shows it.

This module gets the buyer's details already opened by `Invoices._render`: an invoice carries them in full, as the
tax law asks. It prints what a 全电发票 shows: number, date, buyer and seller with their taxpayer IDs (and, on a VAT
special invoice, the buyer's bank, account, registered address and phone), the item, amount, tax and total.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
from pathlib import Path

from reportlab.lib.pagesizes import A5, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

log = logging.getLogger("jidi.invoices.pdf")

CJK_FONT_FILES = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"), Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"))
WIDTH, HEIGHT = landscape(A5)
MARGIN = 10 * mm
TITLES = {"ordinary": "电子发票(普通发票)", "vat_special": "电子发票(增值税专用发票)"}
DIGITS = "零壹贰叁肆伍陆柒捌玖"


def _cjk_font() -> str:
    for path in CJK_FONT_FILES:
        if path.exists():
            pdfmetrics.registerFont(TTFont("WenQuanYi", str(path), subfontIndex=0))
            return "WenQuanYi"
    log.warning("no Chinese TrueType font found (install fonts-wqy-microhei): invoices name STSong-Light without embedding it")
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


CJK = _cjk_font()


@dataclasses.dataclass(frozen=True)
class InvoiceData:
    number: str
    kind: str
    issued_on: dt.date
    waybill_no: str
    content: str
    amount_fen: int  # the price, tax included
    tax_fen: int
    seller_name: str
    seller_tax_id: str
    buyer_title: str
    buyer_tax_id: str
    buyer_bank: str
    buyer_contact: str


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}"


def in_words(fen: int) -> str:
    """The total in capital Chinese numerals (大写), as invoices print it: 壹佰贰拾叁元肆角伍分."""
    yuan_part, jiao, fen_part = fen // 100, fen // 10 % 10, fen % 10
    units = ["", "拾", "佰", "仟"]
    groups = ["", "万", "亿"]
    out, zero, g = "", False, 0
    n = yuan_part
    if n == 0:
        out = "零"
    while n > 0:
        chunk, n = n % 10000, n // 10000
        text, pending_zero = "", False
        for i in range(4):
            d = chunk // 10 ** i % 10
            if d == 0:
                pending_zero = bool(text)
            else:
                text = DIGITS[d] + units[i] + ("零" if pending_zero else "") + text
                pending_zero = False
        if text:
            out = text + groups[g] + ("零" if zero else "") + out
        zero = 0 < chunk < 1000
        g += 1
    out += "元"
    if jiao == 0 and fen_part == 0:
        return out + "整"
    out += (DIGITS[jiao] + "角") if jiao else ("零" if fen_part else "")
    return out + (DIGITS[fen_part] + "分" if fen_part else "")


def render(d: InvoiceData, gettext) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(WIDTH, HEIGHT), pageCompression=1)
    c.setTitle(f"{TITLES.get(d.kind, TITLES['ordinary'])} {d.number}")
    c.setAuthor(d.seller_name)

    def text(x: float, y: float, value: str, size: float = 9, align: str = "left") -> None:
        c.setFont(CJK, size)
        {"left": c.drawString, "right": c.drawRightString, "center": c.drawCentredString}[align](x, y, value)

    top = HEIGHT - MARGIN
    c.setFillColorRGB(0.6, 0.1, 0.1)
    text(WIDTH / 2, top - 6 * mm, TITLES.get(d.kind, TITLES["ordinary"]), 16, "center")
    c.setFillColorRGB(0, 0, 0)
    text(WIDTH - MARGIN, top - 2 * mm, f"发票号码 No.: {d.number}", 8, "right")
    text(WIDTH - MARGIN, top - 7 * mm, f"开票日期 Date: {d.issued_on.isoformat()}", 8, "right")
    box_top, box_bottom = top - 14 * mm, MARGIN + 12 * mm
    c.setStrokeColorRGB(0.6, 0.1, 0.1)
    c.rect(MARGIN, box_bottom, WIDTH - 2 * MARGIN, box_top - box_bottom)
    mid = WIDTH / 2
    party_bottom = box_top - 26 * mm
    c.line(MARGIN, party_bottom, WIDTH - MARGIN, party_bottom)
    c.line(mid, box_top, mid, party_bottom)

    def party(x: float, heading: str, lines: list[str]) -> None:
        text(x + 2 * mm, box_top - 5 * mm, heading, 9)
        y = box_top - 10 * mm
        for line in lines:
            text(x + 2 * mm, y, line[:44], 8)
            y -= 4.5 * mm

    party(MARGIN, "购买方信息 Buyer", [f"名称: {d.buyer_title}", f"统一社会信用代码/纳税人识别号: {d.buyer_tax_id}",
                                  *([f"开户行及账号: {d.buyer_bank}"] if d.buyer_bank else []),
                                  *([f"地址、电话: {d.buyer_contact}"] if d.buyer_contact else [])])
    party(mid, "销售方信息 Seller", [f"名称: {d.seller_name}", f"统一社会信用代码/纳税人识别号: {d.seller_tax_id}"])
    y = party_bottom - 6 * mm
    cols = (MARGIN + 2 * mm, MARGIN + 80 * mm, MARGIN + 110 * mm, MARGIN + 135 * mm, WIDTH - MARGIN - 2 * mm)
    for x, head in zip(cols, ("项目名称 Item", "运单号 Waybill", "税率 Rate", "税额 Tax", "金额 Amount")):
        text(x, y, head, 8, "right" if x == cols[-1] else "left")
    y -= 6 * mm
    net = d.amount_fen - d.tax_fen
    text(cols[0], y, d.content, 9)
    text(cols[1], y, d.waybill_no, 9)
    text(cols[2], y, "6%", 9)
    text(cols[3], y, yuan(d.tax_fen), 9)
    text(cols[4], y, yuan(net), 9, "right")
    c.line(MARGIN, box_bottom + 10 * mm, WIDTH - MARGIN, box_bottom + 10 * mm)
    text(MARGIN + 2 * mm, box_bottom + 3.5 * mm, f"价税合计(大写) Total: {in_words(d.amount_fen)}", 9)
    text(WIDTH - MARGIN - 2 * mm, box_bottom + 3.5 * mm, f"(小写) {yuan(d.amount_fen)}", 10, "right")
    text(MARGIN, MARGIN + 4 * mm, f"开票人: {d.seller_name}", 8)
    text(MARGIN, MARGIN, gettext("Issued by the jidi demo system: not a tax-authority invoice."), 7)
    c.showPage()
    c.save()
    return buf.getvalue()
