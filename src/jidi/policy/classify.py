"""Whether a new version of the privacy policy is a material change (JD-9.3, JD-9.3(6), CN-11.1.1–6, ZK-7.2(1)–(6)),
read from the structured diff of two versions' content (jidi.policy.content), never from their prose.

Material: a change of the purposes, of the types of personal information or how they are used (a field, its
purposes, legal basis, category or sensitivity; a longer retention), of the operator who controls the data, of the
recipients (or an SDK, or a transfer abroad), of the rights or how to exercise them (the kinds, the deadline, the
fees, the channels, the minors rule, how to cancel), of the responsible contact, or an impact assessment that finds
a high risk. Everything else — wording, labels, the order of the list, a shorter retention, an address, a strictly
necessary cookie — is editorial.

A material change that adds a purpose resting on consent (a new consent-based field, purpose or recipient, a
tracking cookie, a transfer abroad) or that reduces a right needs a fresh acceptance before it applies to a person
(JD-2.3a, JD-9.1a, ZK-7.1a).
"""
from __future__ import annotations

import dataclasses

from jidi.i18n import N_
from jidi.policy.document import t


@dataclasses.dataclass(frozen=True)
class Change:
    code: str
    text: list[str]  # [zh, en]: what changed, for the notice and the "what changed" page
    material: bool = True
    fresh_consent: bool = False  # adds a consent-based purpose or reduces a right
    reduces_rights: bool = False

    def as_dict(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Classification:
    changes: tuple[Change, ...]

    @property
    def material(self) -> bool:
        return any(c.material for c in self.changes)

    @property
    def fresh_consent(self) -> bool:
        return any(c.fresh_consent for c in self.changes)

    @property
    def reduces_rights(self) -> bool:
        return any(c.reduces_rights for c in self.changes)

    @property
    def kind(self) -> str:
        return "material" if self.material else "editorial" if self.changes else "unchanged"

    def as_dict(self) -> dict:
        return {"kind": self.kind, "material": self.material, "fresh_consent": self.fresh_consent,
                "reduces_rights": self.reduces_rights, "changes": [c.as_dict() for c in self.changes]}


def _fields(content: dict) -> dict[str, dict]:
    return {i["field"]: i for g in content.get("collection", ()) for i in g["items"]}


def _by(items, key="key") -> dict:
    return {i[key]: i for i in items}


def _label(pair) -> list[str]:
    return list(pair) if isinstance(pair, (list, tuple)) else [str(pair), str(pair)]


def classify(old: dict, new: dict) -> Classification:
    out: list[Change] = []
    add = out.append
    PL = {**old.get("purpose_labels", {}), **new.get("purpose_labels", {})}
    plabel = lambda k: _label(PL.get(k, [k, k]))  # noqa: E731

    # The operator and the responsible contact.
    o, n = old["operator"], new["operator"]
    if o["name"] != n["name"] or o["brand"] != n["brand"]:
        add(Change("operator", t(N_("The operator responsible for your data is now {name}."), name=n["name"])))
    if sorted((c["kind"], c["value"]) for c in o["contacts"]) != sorted((c["kind"], c["value"]) for c in n["contacts"]):
        add(Change("contact", t(N_("The ways to reach our personal-information contact changed."))))
    if o["protection_contact"] != n["protection_contact"]:
        add(Change("contact", t(N_("Personal information is now the responsibility of {who}."), who=n["protection_contact"])))
    if o["account_cancellation"] != n["account_cancellation"]:
        add(Change("rights_channel", t(N_("How to cancel your account changed: {how}."), how=n["account_cancellation"])))
    for key in ("address", "where_to_find", "notice_channels", "change_page"):
        if o.get(key) != n.get(key):
            add(Change("operator_detail", t(N_("Details about us were updated.")), material=False))

    # Purposes.
    op_, np_ = _by(old["purposes"]), _by(new["purposes"])
    for k in np_.keys() - op_.keys():
        consent = "consent" in np_[k]["bases"]
        add(Change("purpose_added", t(N_("New purpose: {purpose}."), purpose=plabel(k)), fresh_consent=consent))
    for k in op_.keys() - np_.keys():
        add(Change("purpose_removed", t(N_("We no longer use personal information for: {purpose}."), purpose=plabel(k))))
    for k in op_.keys() & np_.keys():
        if set(op_[k]["bases"]) != set(np_[k]["bases"]):
            consent = "consent" in set(np_[k]["bases"]) - set(op_[k]["bases"])
            add(Change("purpose_basis", t(N_("The legal basis for {purpose} changed."), purpose=plabel(k)), fresh_consent=consent))

    # Types of personal information and how each is used.
    of, nf = _fields(old), _fields(new)
    for k in sorted(nf.keys() - of.keys()):
        add(Change("field_added", t(N_("We now collect: {item}."), item=nf[k]["label"]), fresh_consent=nf[k]["basis"] == "consent"))
    for k in sorted(of.keys() - nf.keys()):
        add(Change("field_removed", t(N_("We no longer collect: {item}."), item=of[k]["label"])))
    for k in sorted(of.keys() & nf.keys()):
        a, b = of[k], nf[k]
        item = b["label"]
        if set(a["purposes"]) != set(b["purposes"]):
            gained = set(b["purposes"]) - set(a["purposes"])
            add(Change("field_purposes", t(N_("{item} is now used for: {purposes}."), item=item,
                                           purposes=[("、", ", ")[i].join(plabel(p)[i] for p in sorted(b["purposes"])) for i in range(2)]),
                       fresh_consent=bool(gained) and b["basis"] == "consent"))
        if a["basis"] != b["basis"]:
            add(Change("field_basis", t(N_("The legal basis for {item} changed."), item=item), fresh_consent=b["basis"] == "consent"))
        if a["sensitive"] != b["sensitive"] or a["category"] != b["category"]:
            add(Change("field_kind", t(N_("{item} is now classified differently."), item=item)))
        if (b.get("retention_days") or 0) > (a.get("retention_days") or 0):
            add(Change("retention_longer", t(N_("{item} is now kept longer: {period}."), item=item, period=b["retention"])))
        elif a["label"] != b["label"] or a["retention"] != b["retention"]:
            add(Change("field_wording", t(N_("The description of {item} was reworded."), item=item), material=False))
    if [g["title"] for g in old["collection"]] != [g["title"] for g in new["collection"]] and not out:
        add(Change("wording", t(N_("Headings were reworded.")), material=False))

    # Recipients, SDKs and transfers abroad.
    orc, nrc = _by(old["recipients"]), _by(new["recipients"])
    for k in sorted(nrc.keys() - orc.keys()):
        add(Change("recipient_added", t(N_("New recipient: {name}."), name=nrc[k]["name"]), fresh_consent=nrc[k]["basis"] == "consent"))
    for k in sorted(orc.keys() - nrc.keys()):
        add(Change("recipient_removed", t(N_("We no longer share personal information with {name}."), name=orc[k]["name"])))
    for k in sorted(orc.keys() & nrc.keys()):
        a, b = orc[k], nrc[k]
        if any(a[x] != b[x] for x in ("name", "role", "purpose", "basis")) or set(a["fields"]) != set(b["fields"]):
            widened = bool(set(b["fields"]) - set(a["fields"])) or a["purpose"] != b["purpose"]
            add(Change("recipient_changed", t(N_("What we share with {name}, or why, changed."), name=b["name"]),
                       fresh_consent=widened and b["basis"] == "consent"))
    if old.get("sdks", []) != new.get("sdks", []):
        add(Change("sdks", t(N_("The third-party SDKs and plug-ins we embed changed.")),
                   fresh_consent=len(new.get("sdks", [])) > len(old.get("sdks", []))))
    ot, nt = old["cross_border"]["transfers"], new["cross_border"]["transfers"]
    if ot != nt or old["cross_border"]["storage"] != new["cross_border"]["storage"]:
        add(Change("cross_border", t(N_("Where your personal information is stored or transferred changed.")),
                   fresh_consent=len(nt) > len(ot) or new["cross_border"]["storage"] != "mainland_china"))

    # Cookies: a strictly necessary first-party cookie is editorial; anything else is a new use.
    oc, nc = _by(old["cookies"], "name"), _by(new["cookies"], "name")
    for k in sorted(nc.keys() - oc.keys()):
        tracking = not (nc[k]["necessary"] and nc[k]["first_party"])
        add(Change("cookie_added", t(N_("New cookie: {name}."), name=k), material=tracking, fresh_consent=tracking))
    for k in sorted(oc.keys() & nc.keys()):
        a, b = oc[k], nc[k]
        if (a["necessary"], a["first_party"]) != (b["necessary"], b["first_party"]):
            tracking = not (b["necessary"] and b["first_party"])
            add(Change("cookie_use", t(N_("Cookie {name} is used differently."), name=k), fresh_consent=tracking))
        elif a != b:
            add(Change("cookie_wording", t(N_("The description of cookie {name} was updated."), name=k), material=False))
    for k in sorted(oc.keys() - nc.keys()):
        add(Change("cookie_removed", t(N_("Cookie {name} is no longer set."), name=k), material=False))

    # Retention rules of the tables.
    orr, nrr = _by(old["retention"], "rule"), _by(new["retention"], "rule")
    for k in sorted(orr.keys() & nrr.keys()):
        a, b = orr[k], nrr[k]
        if (b["days"] or 0) > (a["days"] or 0) and a["days"] is not None:
            add(Change("retention_longer", t(N_("We now keep data longer: {text}."), text=b["text"])))
        elif a != b:
            add(Change("retention_wording", t(N_("The retention schedule was updated: {text}."), text=b["text"]), material=False))
    if nrr.keys() != orr.keys():
        add(Change("retention_rules", t(N_("The retention schedule lists different records.")), material=False))

    # Rights and how to exercise them.
    r0, r1 = old["rights"], new["rights"]
    for kinds in ("kinds", "next_of_kin"):
        k0, k1 = _by(r0[kinds]), _by(r1[kinds])
        for k in sorted(k0.keys() - k1.keys()):
            add(Change("right_removed", t(N_("You can no longer ask for: {right}."), right=k0[k]["label"]), fresh_consent=True, reduces_rights=True))
        for k in sorted(k1.keys() - k0.keys()):
            add(Change("right_added", t(N_("You can now also ask for: {right}."), right=k1[k]["label"])))
    d0, d1 = r0["deadline"], r1["deadline"]
    if d0 != d1:
        later = d1["days"] > d0["days"]
        add(Change("deadline", t(N_("The deadline for answering your requests changed ({days} days)."), days=d1["days"]),
                   fresh_consent=later, reduces_rights=later))
    for key, worse in (("free_per_year", lambda a, b: b < a), ("fee_fen", lambda a, b: b > a), ("export_hours", lambda a, b: b < a)):
        if r0[key] != r1[key]:
            reduced = worse(r0[key], r1[key])
            add(Change("rights_terms", t(N_("The terms of your requests (free requests, fee or download period) changed.")),
                       fresh_consent=reduced, reduces_rights=reduced))
    if set(r0["channels"]) != set(r1["channels"]):
        # Fewer ways, or a kind of way (phone, e-mail, chat, page) gone: reduced. One e-mail for another is not.
        ways = lambda channels: {ch.split(":", 1)[0] for ch in channels}  # noqa: E731
        reduced = len(set(r1["channels"])) < len(set(r0["channels"])) or bool(ways(r0["channels"]) - ways(r1["channels"]))
        add(Change("rights_channel", t(N_("The channels for exercising your rights changed.")), fresh_consent=reduced, reduces_rights=reduced))
    m0, m1 = old["minors"], new["minors"]
    if m0 != m1:
        reduced = m1["age"] < m0["age"] or (m0["written_consent"] and not m1["written_consent"])
        add(Change("minors", t(N_("The rules for minors changed (guardian consent under {age})."), age=m1["age"]),
                   fresh_consent=reduced, reduces_rights=reduced))

    # A high-risk impact assessment.
    ia0, ia1 = old.get("impact_assessment", {}), new.get("impact_assessment", {})
    if ia1.get("high_risk") and (not ia0.get("high_risk") or ia0.get("summary") != ia1.get("summary")):
        add(Change("impact_assessment", t(N_("A personal-information impact assessment found a high risk: {summary}"),
                                          summary=ia1.get("summary", ["", ""]))))
    return Classification(tuple(out))


def editorial_only(old: dict, new: dict) -> bool:
    return not classify(old, new).material
