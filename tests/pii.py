"""The personal data the tests use. After every test, the database and the captured logs are scanned for
these values in plaintext (see conftest.py): finding one fails the test."""

PHONES = ["13912345678", "13700001111", "15800002222", "18600003333", "13800138000", "17700004444"]
NAMES = ["王小明", "李华", "Zhang Wei"]
NAMES += ["张三", "赵六六"]  # address book: senders and recipients
# Street addresses (the part below the district), as the address book and orders store them.
ADDRESSES = ["苏州街20号院2号楼", "科技园路1号A座", "世纪大道100号"]
NICKNAMES = ["小明的昵称", "快递达人", "微信演示用户", "Alice 微信"]
EMAILS = ["xiaoming@example.com", "lihua@example.org"]
USERNAMES = ["xiaoming2026", "lihua_01"]
STREETS = ["望京街道阜通东大街6号", "南京西路1266号恒隆广场"]
ID_NUMBERS = ["11010519491231002X", "E12345678", "310104198001011239"]
ITEMS = ["祖传玉镯一对"]
# Billing: bank card numbers (Luhn-valid), taxpayer IDs (valid unified social credit codes), invoice titles.
BANK_CARDS = ["6222021234567890128", "6214830112345672"]
TAX_IDS = ["91110000600037341L", "91310115MA1H7KXX9U"]
TITLES = ["北京望京示例科技有限公司"]

ALL = PHONES + NAMES + NICKNAMES + EMAILS + USERNAMES + ADDRESSES + STREETS + ID_NUMBERS + ITEMS + BANK_CARDS + TAX_IDS + TITLES


def find_in(text: str | bytes) -> list[str]:
    """The test values that occur in `text` (str or bytes) in plaintext."""
    if isinstance(text, bytes):
        return [v for v in ALL if v.encode() in text]
    return [v for v in ALL if v in text]


def stored(session, row, column: str) -> bytes | None:
    """The bytes the database holds in a row's column (a personal attribute itself reads as a `Personal`)."""
    from sqlalchemy import select  # noqa: PLC0415

    table = type(row).__table__
    return session.scalar(select(table.c[column]).where(table.c.id == row.id))
