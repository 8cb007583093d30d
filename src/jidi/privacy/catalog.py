"""The catalog of personal data: every personal column of every table, declared once, next to the column.

A model declares a personal column with `personal(...)` and its lookup index with `blind_index(...)`;
every other column is listed in the model's `__nonpersonal__`. `Catalog.from_metadata` collects the
declarations, and `Catalog.undeclared_columns` names any column that is neither (a test keeps it empty).
The privacy policy's collection list is rendered from this catalog.
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable
from typing import Any

from sqlalchemy import LargeBinary, MetaData
from sqlalchemy.orm import DeclarativeBase, MappedColumn, mapped_column

from jidi.privacy.masking import Mask
from jidi.privacy.values import Sealed


class Category(enum.Enum):
    IDENTITY = "identity"
    CONTACT = "contact"
    ADDRESS = "address"
    LOCATION = "location"
    FINANCIAL = "financial"
    DEVICE = "device"
    ACCOUNT = "account"
    PROFILE = "profile"


class Role(enum.Enum):
    CUSTOMER = "customer"
    COURIER = "courier"
    SUPPORT_AGENT = "support_agent"
    PRIVACY_OFFICER = "privacy_officer"
    ADMIN = "admin"

    @property
    def is_staff(self) -> bool:
        return self is not Role.CUSTOMER


class LegalBasis(enum.Enum):
    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"


class Purpose(enum.Enum):
    """Why a value may be opened. Reveals to a person also need the actor's role to allow the purpose."""

    LOGIN = "login"                        # match credentials, identify the account holder
    SELF_SERVICE = "self_service"          # the data subject viewing or editing their own data
    NOTIFICATION = "notification"          # send a service message (SMS code, route update)
    CUSTOMER_SERVICE = "customer_service"  # a support agent handling the subject's case
    SECURITY = "security"                  # account security, fraud prevention, staff authentication
    RIGHTS_REQUEST = "rights_request"      # the privacy officer answering a data-subject request
    DELIVERY = "delivery"                  # couriers and last mile


# What each role may open a full value for, when showing it to a person. A customer opens only their own data.
ROLE_PURPOSES: dict[Role, frozenset[Purpose]] = {
    Role.CUSTOMER: frozenset({Purpose.SELF_SERVICE}),
    Role.COURIER: frozenset({Purpose.DELIVERY}),
    Role.SUPPORT_AGENT: frozenset({Purpose.CUSTOMER_SERVICE}),
    Role.PRIVACY_OFFICER: frozenset({Purpose.RIGHTS_REQUEST}),
    Role.ADMIN: frozenset({Purpose.SECURITY}),
}

LABELS = {
    Role.CUSTOMER: ("用户", "Customer"),
    Role.COURIER: ("快递员", "Courier"),
    Role.SUPPORT_AGENT: ("客服", "Support agent"),
    Role.PRIVACY_OFFICER: ("个人信息保护负责人", "Privacy officer"),
    Role.ADMIN: ("管理员", "Administrator"),
    Category.IDENTITY: ("身份信息", "Identity"),
    Category.CONTACT: ("联系方式", "Contact details"),
    Category.ADDRESS: ("地址信息", "Addresses"),
    Category.LOCATION: ("位置信息", "Location"),
    Category.FINANCIAL: ("财产信息", "Financial"),
    Category.DEVICE: ("设备与网络信息", "Device and network"),
    Category.ACCOUNT: ("账号信息", "Account"),
    Category.PROFILE: ("个人资料", "Profile"),
    LegalBasis.CONSENT: ("您的同意", "Your consent"),
    LegalBasis.CONTRACT: ("订立、履行合同所必需", "Needed to perform our contract with you"),
    LegalBasis.LEGAL_OBLIGATION: ("履行法定义务所必需", "Required by law"),
    Purpose.LOGIN: ("登录与身份识别", "Login and identification"),
    Purpose.SELF_SERVICE: ("本人查看与修改", "Viewing and editing by yourself"),
    Purpose.NOTIFICATION: ("发送服务通知与验证码", "Service messages and verification codes"),
    Purpose.CUSTOMER_SERVICE: ("客户服务", "Customer service"),
    Purpose.SECURITY: ("账号与系统安全", "Account and system security"),
    Purpose.RIGHTS_REQUEST: ("响应您的个人信息权利请求", "Answering your data-rights requests"),
    Purpose.DELIVERY: ("揽收与派送", "Pickup and delivery"),
}


@dataclasses.dataclass(frozen=True)
class Retention:
    """How long a value is kept; `days` counts from the `after` event."""

    after: str          # "collected", "account_closed", "used"
    days: int
    zh: str
    en: str


RETAIN_ACCOUNT = Retention("account_closed", 31, "账号存续期间及注销后一个月", "While the account exists and one month after it is cancelled")
RETAIN_SMS = Retention("collected", 1, "发送后 1 天", "1 day after sending")


@dataclasses.dataclass(frozen=True)
class FieldSpec:
    label_zh: str
    label_en: str
    category: Category
    purposes: frozenset[Purpose]
    basis: LegalBasis
    retention: Retention
    mask: Mask
    sensitive: bool = False
    # Domain of the keyed blind index ("phone", "email"…), shared by every column holding that kind of value.
    blind_index: str = ""
    # Held only for staff accounts: never listed to a customer as data we may hold about them.
    staff_only: bool = False
    # Filled in by the catalog from the column it annotates.
    table: str = ""
    column: str = ""

    @property
    def key(self) -> str:
        return f"{self.table}.{self.column}"

    def allows(self, purpose: Purpose) -> bool:
        return purpose in self.purposes


def personal(
    label_zh: str,
    label_en: str,
    category: Category,
    *,
    purposes: Iterable[Purpose],
    basis: LegalBasis,
    retention: Retention,
    mask: Mask,
    sensitive: bool = False,
    blind_index: str = "",
    nullable: bool = True,
    staff_only: bool = False,
) -> MappedColumn[Any]:
    """A personal column: stored only as AES-GCM ciphertext, described for the catalog.

    Assign it a plain `str`; the privacy core seals it at flush (and fills its blind index). Reading it gives a
    `Personal`."""
    spec = FieldSpec(label_zh, label_en, category, frozenset(purposes), basis, retention, mask, sensitive, blind_index,
                     staff_only)
    return mapped_column(Sealed, nullable=nullable, info={"personal": spec})


def blind_index(domain: str, *, unique: bool = False) -> MappedColumn[Any]:
    """A keyed HMAC-SHA256 of a personal value (pseudonymised, never plaintext), for exact-match lookup.

    Named `<column>_bidx` beside a personal column, the privacy core fills it whenever the column is sealed.
    """
    return mapped_column(LargeBinary(32), nullable=True, index=not unique, unique=unique, info={"blind_index": domain})


class Catalog:
    def __init__(self, fields: dict[str, FieldSpec], indexes: dict[str, str], undeclared: list[str]):
        self.fields = fields
        self.indexes = indexes  # "table.column" -> blind-index domain
        self.undeclared_columns = undeclared

    @classmethod
    def from_base(cls, base: type[DeclarativeBase]) -> "Catalog":
        nonpersonal = {m.class_.__tablename__: m.class_.__nonpersonal__ for m in base.registry.mappers}
        return cls.from_metadata(base.metadata, nonpersonal)

    @classmethod
    def from_metadata(cls, metadata: MetaData, nonpersonal: dict[str, tuple[str, ...]]) -> "Catalog":
        fields: dict[str, FieldSpec] = {}
        indexes: dict[str, str] = {}
        undeclared: list[str] = []
        for table in metadata.sorted_tables:
            allowed = set(nonpersonal.get(table.name, ()))
            for col in table.columns:
                spec = col.info.get("personal")
                if spec is not None:
                    spec = dataclasses.replace(spec, table=table.name, column=col.name)
                    fields[spec.key] = spec
                elif "blind_index" in col.info:
                    indexes[f"{table.name}.{col.name}"] = col.info["blind_index"]
                elif col.name not in allowed:
                    undeclared.append(f"{table.name}.{col.name}")
        return cls(fields, indexes, undeclared)

    def spec(self, table: str, column: str) -> FieldSpec:
        try:
            return self.fields[f"{table}.{column}"]
        except KeyError:
            raise KeyError(f"{table}.{column} is not a personal field in the catalog") from None

    def by_category(self) -> dict[Category, list[FieldSpec]]:
        out: dict[Category, list[FieldSpec]] = {}
        for spec in self.fields.values():
            out.setdefault(spec.category, []).append(spec)
        return out
