"""Operator profiles: who runs this deployment of jidi, and the rules of that brand that the privacy policy states
(PROMISES A1 deadlines, A14 minors, JD-10.1 · CN-12.1c · ZK-8.1 contacts, JD-9.2 · CN-11.1b · ZK-7.2a notices).

`JIDI_OPERATOR` picks one (`jidi.config.Settings.operator`). The default, `jidi`, is a neutral profile: a platform
named after the code, with JD's rules (15 working days from receipt; guardian consent under 14), so that a fresh
checkout neither pretends to be a real company nor leaves a rule unset. The other three are how each seed company
would configure jidi. The rights deadline rule lives in the settings (`JIDI_RIGHTS_DEADLINE`), which follow the
operator unless set explicitly: the policy states the deadline the rights feature actually computes.
"""
from __future__ import annotations

import dataclasses
from typing import get_args

from jidi.config import Operator

Text = tuple[str, str]  # (Chinese, English)


@dataclasses.dataclass(frozen=True)
class Contact:
    kind: str      # phone | chat | email | web
    value: str     # the number, address or URL
    label: Text


@dataclasses.dataclass(frozen=True)
class OperatorProfile:
    key: str
    name: Text                       # the legal name of the operator ("we")
    brand: Text                      # the short name used in the text
    address: Text
    contacts: tuple[Contact, ...]    # how to reach the personal-information protection contact
    protection_contact: Text         # who answers: the department or officer
    minors_age: int                  # under this age a guardian's consent is needed
    minors_written_consent: bool     # the guardian's consent must be written (ZK-6.1)
    notice_channels: tuple[str, ...]  # how material changes are announced: popup, sms, push, email, page
    change_page: bool                # a page spelling out what changed (ZK-7.2a)
    where_to_find: Text              # where the policy is always reachable (JD-9.4b)
    account_cancellation: Text       # how to cancel the account, in the operator's words

    def as_content(self) -> dict:
        return {"key": self.key, "name": list(self.name), "brand": list(self.brand), "address": list(self.address),
                "contacts": [{"kind": c.kind, "value": c.value, "label": list(c.label)} for c in self.contacts],
                "protection_contact": list(self.protection_contact), "notice_channels": list(self.notice_channels),
                "change_page": self.change_page, "where_to_find": list(self.where_to_find),
                "account_cancellation": list(self.account_cancellation)}


_SETTINGS_PATH = ("jidi 网站页脚及“我的账号”页面中的“隐私政策”链接", "the “Privacy policy” link in the footer of every jidi page and on “My account”")

PROFILES: dict[str, OperatorProfile] = {
    "jidi": OperatorProfile(
        "jidi", ("jidi 寄递平台运营方", "the operator of the jidi delivery platform"), ("jidi", "jidi"),
        ("（部署时由运营方填写注册地址）", "(the operator's registered address, set at deployment)"),
        (Contact("email", "privacy@jidi.example.cn", ("个人信息保护邮箱", "Personal-information protection e-mail")),
         Contact("web", "/privacy/me", ("网站“我的个人信息”页面", "the “My personal information” page"))),
        ("个人信息保护负责人", "our personal-information protection officer"),
        14, False, ("popup", "sms"), True, _SETTINGS_PATH,
        ("在“我的个人信息”页面申请注销账号", "ask for cancellation on the “My personal information” page"),
    ),
    "jd": OperatorProfile(
        "jd", ("北京京邦达贸易有限公司及其关联公司（京东快递）", "Beijing Jingbangda Trade Co., Ltd. and its affiliates (JD Express)"),
        ("京东快递", "JD Express"),
        ("北京市海淀区苏州街20号院2号楼一层101", "Room 101, 1/F, Building 2, Courtyard 20, Suzhou Street, Haidian District, Beijing"),
        (Contact("phone", "950616", ("客服电话", "Customer-service phone")),
         Contact("chat", "https://jdcs.m.jd.com/jdchat/index.action?entry=jd_m_jdexpress", ("在线客服", "Online chat"))),
        ("我们的个人信息保护专职部门（会同客服部门）", "our dedicated personal-information protection department, with customer service"),
        14, False, ("popup", "sms"), False,
        ("小程序“我-设置-隐私政策”、APP“我-设置-关于京东快递APP-隐私政策”及 jdl.com 最下方",
         "the mini-program at “我-设置-隐私政策”, the app at “我-设置-关于京东快递APP-隐私政策”, and the footer of jdl.com"),
        ("在“我-设置-注销账号”自助注销，或致电客服", "cancel it yourself at “我-设置-注销账号”, or phone customer service"),
    ),
    "cainiao": OperatorProfile(
        "cainiao", ("菜鸟网络科技有限公司及其关联方（菜鸟）", "Cainiao Network Technology Co., Ltd. and its affiliates (Cainiao)"),
        ("菜鸟", "Cainiao"),
        ("杭州市西湖区文一西路588号西溪首座B1-2八楼法务服务台", "Legal desk, 8/F, B1-2 Xixi Shouzuo, 588 Wenyi West Road, Xihu District, Hangzhou"),
        (Contact("email", "cn-provision@service.cainiao.com", ("个人信息保护专职部门邮箱", "E-mail of the dedicated personal-information protection department")),
         Contact("phone", "9519666", ("客服电话", "Customer-service phone"))),
        ("个人信息保护专职部门", "our dedicated personal-information protection department"),
        14, False, ("push", "popup"), False,
        ("菜鸟用户端“我-设置-隐私权政策”，旧版本见“历史版本”", "the Cainiao client at “我-设置-隐私权政策”; older versions under “历史版本”"),
        ("致电客服 9519666，或提交网页注销申请", "phone customer service on 9519666, or submit the web cancellation form"),
    ),
    "zkjia": OperatorProfile(
        "zkjia", ("ZKJIA.COM 及其合作伙伴", "ZKJIA.COM and its partners"), ("ZKJIA.COM", "ZKJIA.COM"),
        ("（部署时由运营方填写注册地址）", "(the operator's registered address, set at deployment)"),
        (Contact("email", "bruce.zhao@zkjia.com", ("个人信息保护联系邮箱", "Personal-information contact e-mail")),),
        ("个人信息保护联系人", "our personal-information contact"),
        18, True, ("email", "sms", "page"), True,
        ("ZKJIA.COM 网站页脚的“隐私政策”链接", "the “Privacy policy” link in the footer of the ZKJIA.COM website"),
        ("发送电子邮件至上述邮箱申请注销账号", "write to the e-mail above to cancel your account"),
    ),
}

assert set(PROFILES) == set(get_args(Operator)), "every operator JIDI_OPERATOR accepts has a profile"


def profile_for(settings) -> OperatorProfile:
    return PROFILES[settings.operator]
