"""The catalog of personal data: every personal column of every table, declared once, next to the column.

A model declares a personal column with `personal(...)` and its lookup index with `blind_index(...)`;
every other column is listed in the model's `__nonpersonal__`. `Catalog.from_metadata` collects the
declarations, and `Catalog.undeclared_columns` names any column that is neither (a test keeps it empty).
The privacy policy's collection list is rendered from this catalog.
"""
from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping
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
    """Why processing is lawful: consent, or one of the other bases PIPL art. 13 enumerates (JD-1.5, ZK-1.5.1)."""

    CONSENT = "consent"                    # (1) the person's consent, recorded in the consent ledger
    CONTRACT = "contract"                  # (2) needed to make or perform a contract the person is party to
    LEGAL_OBLIGATION = "legal_obligation"  # (3) needed to fulfil a legal duty or obligation
    VITAL_INTERESTS = "vital_interests"    # (4) public-health emergency, or protecting life, health or property
    PUBLIC_INTEREST = "public_interest"    # (5) news reporting and public-opinion supervision in the public interest
    MADE_PUBLIC = "made_public"            # (6) information the person made public or that was lawfully published
    OTHER_LAW = "other_law"                # (7) other cases laws and administrative regulations provide for


class Purpose(enum.Enum):
    """Why a value may be opened. Reveals to a person also need the actor's role to allow the purpose."""

    LOGIN = "login"                        # match credentials, identify the account holder
    SELF_SERVICE = "self_service"          # the data subject viewing or editing their own data
    NOTIFICATION = "notification"          # send a service message (SMS code, route update)
    CUSTOMER_SERVICE = "customer_service"  # a support agent handling the subject's case
    SECURITY = "security"                  # account security, fraud prevention, staff authentication
    RIGHTS_REQUEST = "rights_request"      # the privacy officer answering a data-subject request
    DELIVERY = "delivery"                  # couriers and last mile
    PAYMENT = "payment"                    # money: payments and refunds (order number and amount), COD payouts, invoices
    # Marketing, one purpose per channel (JD-6.4.2(2): each can be stopped on its own); always on consent.
    MARKETING_SMS = "marketing_sms"
    MARKETING_IN_APP = "marketing_in_app"
    MARKETING_PUSH = "marketing_push"
    MARKETING_CALL = "marketing_call"
    MARKETING_EMAIL = "marketing_email"


MARKETING = (Purpose.MARKETING_SMS, Purpose.MARKETING_IN_APP, Purpose.MARKETING_PUSH, Purpose.MARKETING_CALL,
             Purpose.MARKETING_EMAIL)

# The basis each use rests on unless a field says otherwise (`personal(bases=...)`). A purpose missing here must be
# given a basis by every field that lists it (tests/test_consent.py fails otherwise).
PURPOSE_BASIS: dict[Purpose, LegalBasis] = {
    Purpose.LOGIN: LegalBasis.CONTRACT,
    Purpose.SELF_SERVICE: LegalBasis.CONTRACT,
    Purpose.NOTIFICATION: LegalBasis.CONTRACT,
    Purpose.CUSTOMER_SERVICE: LegalBasis.CONTRACT,
    # Cybersecurity Law art. 21: keeping the network and accounts secure is a duty of the operator.
    Purpose.SECURITY: LegalBasis.LEGAL_OBLIGATION,
    # PIPL arts. 44-50: answering a data-subject request is a duty.
    Purpose.RIGHTS_REQUEST: LegalBasis.LEGAL_OBLIGATION,
    Purpose.DELIVERY: LegalBasis.CONTRACT,
    Purpose.PAYMENT: LegalBasis.CONTRACT,
    **{p: LegalBasis.CONSENT for p in MARKETING},
}


class Separate(enum.Enum):
    """Consents PIPL requires separately (arts. 23, 25, 29, 39, 31): each asked for on its own, never bundled with
    the policy or with each other, each recorded and withdrawable on its own."""

    SENSITIVE_ID_NUMBER = "sensitive_id_number"       # art. 29: ID document numbers
    SENSITIVE_BANK_CARD = "sensitive_bank_card"       # art. 29: bank cards
    SENSITIVE_LOCATION = "sensitive_location"         # art. 29: precise location
    SENSITIVE_MINOR = "sensitive_minor"               # arts. 28, 31: data of a child under 14 (by a guardian)
    THIRD_PARTY = "third_party"                       # art. 23: giving data to another processor
    PUBLIC_DISCLOSURE = "public_disclosure"           # art. 25: making data public
    CROSS_BORDER = "cross_border"                     # art. 39: transfer outside mainland China


class Agreement(enum.Enum):
    """What is agreed to as a whole: the privacy policy (a notice version); recorded in the same ledger."""

    PRIVACY_POLICY = "privacy_policy"
    # Analytics and marketing tracking across pages: jidi does none, and a browser's Do Not Track or Global Privacy
    # Control signal is recorded as a refusal of it (ZK-2.3), so that none may be started for that person later.
    TRACKING = "tracking"
    # The WeChat nickname and avatar, kept only while the person authorises WeChat to give them to us.
    WECHAT_PROFILE = "wechat_profile"


# What a consent record is about: a purpose (with consent as its basis), a separate consent, or the policy.
Topic = Purpose | Separate | Agreement


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
    LegalBasis.VITAL_INTERESTS: ("应对突发公共卫生事件，或紧急情况下保护生命健康和财产安全所必需",
                                 "Needed in a public-health emergency, or to protect life, health or property in an emergency"),
    LegalBasis.PUBLIC_INTEREST: ("为公共利益实施新闻报道、舆论监督", "News reporting or public-opinion supervision in the public interest"),
    LegalBasis.MADE_PUBLIC: ("您自行公开或其他已经合法公开的信息", "Information you made public, or lawfully published"),
    LegalBasis.OTHER_LAW: ("法律、行政法规规定的其他情形", "Other cases provided for by laws and regulations"),
    Purpose.LOGIN: ("登录与身份识别", "Login and identification"),
    Purpose.SELF_SERVICE: ("本人查看与修改", "Viewing and editing by yourself"),
    Purpose.NOTIFICATION: ("发送服务通知与验证码", "Service messages and verification codes"),
    Purpose.CUSTOMER_SERVICE: ("客户服务", "Customer service"),
    Purpose.SECURITY: ("账号与系统安全", "Account and system security"),
    Purpose.RIGHTS_REQUEST: ("响应您的个人信息权利请求", "Answering your data-rights requests"),
    Purpose.DELIVERY: ("揽收与派送", "Pickup and delivery"),
    Purpose.PAYMENT: ("支付、退款、结算与开具发票", "Payments, refunds, settlement and invoicing"),
    Purpose.MARKETING_SMS: ("营销短信", "Marketing SMS"),
    Purpose.MARKETING_IN_APP: ("营销站内信", "Marketing in-app messages"),
    Purpose.MARKETING_PUSH: ("营销推送通知", "Marketing push notifications"),
    Purpose.MARKETING_CALL: ("营销电话", "Marketing calls"),
    Purpose.MARKETING_EMAIL: ("营销电子邮件", "Marketing e-mail"),
    Separate.SENSITIVE_ID_NUMBER: ("处理您的身份证件号码（敏感个人信息）", "Processing your ID document number (sensitive)"),
    Separate.SENSITIVE_BANK_CARD: ("处理您的银行卡信息（敏感个人信息）", "Processing your bank card details (sensitive)"),
    Separate.SENSITIVE_LOCATION: ("处理您的精准定位（敏感个人信息）", "Processing your precise location (sensitive)"),
    Separate.SENSITIVE_MINOR: ("处理不满十四周岁未成年人的个人信息（监护人同意）",
                               "Processing the data of a child under 14 (a guardian's consent)"),
    Separate.THIRD_PARTY: ("向其他个人信息处理者提供您的个人信息", "Giving your personal data to another processor"),
    Separate.PUBLIC_DISCLOSURE: ("公开您的个人信息", "Making your personal data public"),
    Separate.CROSS_BORDER: ("向中华人民共和国境外提供您的个人信息", "Transferring your personal data outside mainland China"),
    Agreement.PRIVACY_POLICY: ("隐私政策", "Privacy policy"),
    Agreement.WECHAT_PROFILE: ("使用您的微信昵称和头像", "Using your WeChat nickname and avatar"),
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
    # The basis of each use that differs from the purpose's usual one (PURPOSE_BASIS); `basis` above is the basis
    # of collecting the value at all (a value one chose to give rests on consent even where its uses rest on the
    # contract: withdrawing deletes it).
    bases: tuple[tuple[Purpose, LegalBasis], ...] = ()
    # Filled in by the catalog from the column it annotates.
    table: str = ""
    column: str = ""

    @property
    def key(self) -> str:
        return f"{self.table}.{self.column}"

    def allows(self, purpose: Purpose) -> bool:
        return purpose in self.purposes

    def basis_for(self, purpose: Purpose) -> LegalBasis | None:
        """The legal basis of using this field for `purpose`: the field's own for that use, else the purpose's usual
        one; None if neither says (a catalog error, tests/test_consent.py)."""
        for p, b in self.bases:
            if p is purpose:
                return b
        return PURPOSE_BASIS.get(purpose)


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
    bases: Mapping[Purpose, LegalBasis] | None = None,
) -> MappedColumn[Any]:
    """A personal column: stored only as AES-GCM ciphertext, described for the catalog.

    Assign it a plain `str`; the privacy core seals it at flush (and fills its blind index). Reading it gives a
    `Personal`. `bases` gives the legal basis of a use where it differs from the purpose's usual one (PURPOSE_BASIS);
    a use on consent is opened only while its subject's consent is live (jidi.privacy.consent)."""
    extra = dict(bases or {})
    if set(extra) - set(purposes := frozenset(purposes)):
        raise ValueError(f"{label_en}: a basis is given for a purpose the field does not list")
    spec = FieldSpec(label_zh, label_en, category, purposes, basis, retention, mask, sensitive, blind_index,
                     staff_only, tuple(sorted(extra.items(), key=lambda kv: kv[0].value)))
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
