"""The written sections of the privacy policy, filled in from its structured content (jidi.policy.content), and the
two forms a policy takes: its text in each language (a small markup: `#` headings, paragraphs, `- ` lists, `|` table
rows, `**bold**` key clauses, `[links](/a-page)` to jidi's own pages), and that text as HTML.

The prose is English message ids translated with the catalogs (`make i18n-update`), so both languages come from one
place; the facts (names, contacts, fields, recipients, periods, deadlines) come from the content only. A published
version stores its texts, so an old version reads exactly as it was published, whatever the code says later.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import re

from markupsafe import Markup

from jidi.i18n import N_, NC_, gettext_for

LANGS = ("zh_CN", "en")


def t(message: str, **values) -> list[str]:
    """A message in both languages, [zh, en]; a value given as a [zh, en] pair is used in its language."""
    out = []
    for i, loc in enumerate(LANGS):
        vals = {k: (v[i] if isinstance(v, (list, tuple)) else v) for k, v in values.items()}
        out.append(gettext_for(loc)(message).format(**vals))
    return out


def _join(items: list[list[str]], sep: tuple[str, str] = ("、", ", ")) -> list[str]:
    return [sep[i].join(x[i] for x in items) for i in range(2)]


def _link(text: list[str], path: str) -> list[str]:
    """A link to one of jidi's own pages, in the policy's markup (`to_html` makes it an <a>)."""
    return [f"[{x}]({path})" for x in text]


def _contacts(op: dict) -> list[list[str]]:
    return [[f"{c['label'][i]}：{c['value']}" if i == 0 else f"{c['label'][i]}: {c['value']}" for i in range(2)]
            for c in op["contacts"]]


def _deadline(rights: dict) -> list[str]:
    d = rights["deadline"]
    if d["rule"] == "calendar_days_from_verification":
        return t(N_("We will reply **within {days} days after your identity has been verified**."), days=d["days"])
    return t(N_("We will reply and finish handling your request **within {days} working days of receiving it** "
                "(official holidays do not count; the time we need to verify your identity is included)."), days=d["days"])


def blocks(content: dict, version: str, effective_on: dt.date, published_on: dt.date | None = None) -> list[tuple]:
    """The policy as blocks: ("h", level, text), ("p", text), ("ul", [text…]), ("table", [header…], [[cell…]…]);
    every text a [zh, en] pair."""
    op = content["operator"]
    brand = op["brand"]
    P = content["purpose_labels"]
    B = content["bases"]
    out: list[tuple] = []
    h = lambda level, text: out.append(("h", level, text))  # noqa: E731
    p = lambda text: out.append(("p", text))  # noqa: E731

    h(1, t(N_("{brand} privacy policy"), brand=brand))
    p(t(N_("Version {version} · updated {published} · effective {effective}"), version=version,
        published=(published_on or effective_on).isoformat(), effective=effective_on.isoformat()))
    p(t(N_("This policy applies to the delivery services provided by {name} (“we”) through the jidi website, its pages "
           "and its API. Where a product has its own privacy policy, that policy applies first and this one covers what "
           "it does not say."), name=op["name"]))
    p(t(N_("**Please read this policy carefully before you use our services, especially the clauses in bold.** "
           "If you do not agree with it, you may decline to use the services. Questions about it are answered by "
           "{contact}: {channels}."), contact=op["protection_contact"], channels=_join(_contacts(op), ("；", "; "))))

    h(2, t(N_("1. Who we are and how to reach us")))
    p(t(N_("The operator responsible for your personal information is {name}, registered at {address}."),
        name=op["name"], address=op["address"]))
    out.append(("ul", _contacts(op)))
    p(t(N_("Your questions, requests and complaints about personal information are answered by {contact}."),
        contact=op["protection_contact"]))

    h(2, t(N_("2. What we collect and why")))
    p(t(N_("We collect only what each feature needs. The list below is generated from the catalog our systems enforce: "
           "a feature cannot store personal information that is not listed here. **Every item is stored encrypted under "
           "a key of its own for each person and is shown masked.** Items marked sensitive are sensitive personal "
           "information: we process them only where the law requires or allows it, for the purpose stated.")))
    header = [t(NC_("data item", "Item")), t(N_("Why we use it")), t(N_("Legal basis")), t(N_("How long we keep it"))]
    for group in content["collection"]:
        h(3, group["title"])
        rows = []
        for item in group["items"]:
            label = [f"**{x}**" for x in item["label"]] if item["sensitive"] else item["label"]
            if item["sensitive"]:
                label = [label[0] + t(N_(" (sensitive)"))[0], label[1] + t(N_(" (sensitive)"))[1]]
            rows.append([label, _join([P[k] for k in item["purposes"]]), B[item["basis"]], item["retention"]])
        out.append(("table", header, rows))
    p(t(N_("Where an item rests on your consent, you can refuse it or withdraw your consent at any time; only the "
           "function that needs it stops, and what was done before stays lawful. **If you do not provide an item a "
           "function needs to perform our contract with you, we cannot provide that function, but you can still use "
           "the others.**")))
    p(t(N_("We may process personal information without your consent only where the law allows it: to perform a "
           "contract at your request; to meet a legal duty or obligation; to respond to a public-health emergency or "
           "protect someone's life, health or property in an emergency; for news reporting and public-opinion "
           "supervision in the public interest, within a reasonable scope; for information you made public yourself "
           "or that was lawfully made public, within a reasonable scope; and in other cases laid down by law. "
           "We record which of these grounds applies.")))

    h(2, t(N_("3. How we use it")))
    out.append(("ul", [t(N_("{purpose} (legal basis: {bases})"), purpose=item["label"],
                         bases=_join([B[b] for b in item["bases"]], ("；", "; "))) for item in content["purposes"]]))
    p(t(N_("**We use personal information only for the purposes listed here. Before we use it for any other purpose, "
           "we tell you and ask for your consent again.** We make no automated decisions about you: nothing that "
           "affects what you get is decided by profiling or scoring. Statistics we keep or publish are anonymous and "
           "identify no one.")))

    h(2, t(N_("4. Cookies and similar technologies")))
    p(t(N_("Our pages set only the first-party cookies listed here; only our own server can read them, and we use them "
           "for nothing but the purpose stated. We use no advertising or analytics cookies, web beacons or pixels. "
           "You can refuse or clear cookies in your browser: you can still read our pages and track parcels, but you "
           "will have to log in and choose your language again on each visit. See www.aboutcookies.org for how.")))
    out.append(("table", [t(N_("Cookie")), t(N_("Purpose")), t(N_("Lifetime"))],
                [[[c["name"], c["name"]], c["purpose"], c["lifetime"]] for c in content["cookies"]]))

    h(2, t(N_("5. Third-party SDKs and plug-ins")))
    if content["sdks"]:
        out.append(("table", [t(N_("SDK or plug-in")), t(N_("Provider")), t(N_("Purpose")), t(N_("Data it receives"))],
                    [[[s["name"], s["name"]], s["provider"], s["purpose"], s["data"]] for s in content["sdks"]]))
    else:
        p(t(N_("**Our website and apps embed no third-party SDK, plug-in or code that collects personal information.** "
               "If we ever add one, we will list its provider, purpose, method and the data it receives here before "
               "it is used, and this counts as a material change.")))

    h(2, t(N_("6. Whom we share it with, transfer and disclosure")))
    p(t(N_("**We do not share your personal information with any company, organisation or person outside {brand}, "
           "except with your explicit consent or as listed below.** We never sell or rent it. Each recipient receives "
           "only the items listed, for the purpose listed, may use them for nothing else, and is bound by a written "
           "agreement; every handing-over is recorded, and when you have your data deleted we tell the recipients to "
           "delete it too."), brand=brand))
    if content["recipients"]:
        labels = {i["field"]: i["label"] for g in content["collection"] for i in g["items"]}
        out.append(("table", [t(NC_("data recipient", "Recipient")), t(N_("Role")), t(N_("Purpose")), t(N_("Legal basis")), t(N_("What it receives"))],
                    [[r["name"], r["role_label"], P[r["purpose"]], B[r["basis"]],
                      _join([labels.get(f, [f, f]) for f in r["fields"]])] for r in content["recipients"]]))
    else:
        p(t(N_("We share personal information with no one today.")))
    p(t(N_("**We transfer your personal information to another party only with your explicit consent.** In a merger, "
           "acquisition or bankruptcy, we require the new holder to stay bound by this policy, or else to ask for "
           "your consent again. We disclose personal information publicly only with your explicit consent, or where "
           "the law, legal process or a competent authority demands it against the corresponding legal documents, "
           "which we review for their legal basis and answer with no more than they lawfully require.")))

    h(2, t(N_("7. How long we keep it")))
    p(t(N_("We keep personal information only as long as its purpose needs, or as long as the law requires. When the "
           "period ends we delete it or make it anonymous; copies in backups are removed when the backups roll over, "
           "and a deletion is applied again to any backup that is restored. The schedule our systems apply:")))
    out.append(("ul", [r["text"] for r in content["retention"]]))

    h(2, t(N_("8. How we protect it")))
    out.append(("ul", [
        t(N_("Every personal item is encrypted (AES-GCM) under a key of its own for each person; erasing a person "
             "destroys their key, so no copy can be read again.")),
        t(N_("All traffic uses HTTPS (TLS).")),
        t(N_("Personal information is shown masked, on every screen; lookups use keyed hashes, never plain numbers.")),
        t(N_("Staff see personal information only as their role allows, log in with a password and a second factor, "
             "and every time a person's data is revealed it is written to a tamper-evident audit log.")),
        t(N_("We train our staff, assess the impact of new processing on personal information, and keep an incident "
             "plan. **If an incident affects you, we tell you promptly** what happened, its likely impact, what we "
             "have done and what you can do, and report it to the authorities as required.")),
    ]))

    h(2, t(N_("9. Your rights and how to exercise them")))
    p(t(N_("You can ask us for any of the following, on the “My personal information” page after logging in, or "
           "through {channels}:"), channels=_join(_contacts(op), ("；", "; "))))
    out.append(("ul", [k["label"] for k in content["rights"]["kinds"]]))
    verify, deadline = t(N_("We first verify that the request is yours.")), _deadline(content["rights"])
    p([verify[0] + deadline[0], verify[1] + " " + deadline[1]])
    r = content["rights"]
    p(t(N_("Reasonable requests are free: {free} requests of each kind in any 12 months. For more, we tell you the "
           "fee (CNY {fee}) before we do anything. A copy of your data can be downloaded for {hours} hours. If we "
           "cannot do what you ask, we tell you which of the grounds the law allows applies."),
        free=r["free_per_year"], fee=f"{r['fee_fen'] / 100:.2f}", hours=r["export_hours"]))
    p(t(N_("To cancel your account, {how}. After a person's death, a close relative may, for their own lawful "
           "interests, ask to access, copy, correct or delete the deceased's data, with proof of identity, death and "
           "kinship."), how=op["account_cancellation"]))

    h(2, t(N_("10. Minors")))
    minors = content["minors"]
    if minors["written_consent"]:
        p(t(N_("**If you are under {age}, you may use our services only with the prior written consent of your parent "
               "or legal guardian.**"), age=minors["age"]))
    else:
        p(t(N_("Our services are meant for adults. **A child under {age} may use them only with the consent of a parent "
               "or guardian, who should read this policy first; we treat all personal information of children under "
               "14 as sensitive.**"), age=minors["age"]))
    p(t(N_("We use or disclose a minor's information only where the law allows, the guardian explicitly agrees, or it "
           "is needed to protect the minor: a consent the minor gives alone counts for nothing, only the guardian's does. "
           "If we learn that we collected it without the guardian's verifiable consent, or the guardian withdraws "
           "consent, we delete it as soon as possible. A guardian gives and withdraws consent on the {guardian_page}. If "
           "you think we hold a minor's information improperly, tell us on the {report_page} or tell {contact}."),
        contact=op["protection_contact"], guardian_page=_link(t(N_("guardian's consent page")), "/guardian"),
        report_page=_link(t(N_("report page for minors' information")), "/minors")))

    h(2, t(N_("11. Where your information is stored")))
    if content["cross_border"]["transfers"]:
        p(t(N_("Personal information is stored in mainland China, except for the transfers listed here, each reviewed "
               "and made only with your separate consent.")))
        out.append(("ul", [x["text"] for x in content["cross_border"]["transfers"]]))
    else:
        p(t(N_("**Personal information collected and generated in mainland China is stored in mainland China, and none "
               "of it is transferred abroad.** Any future transfer would first pass a security review and need your "
               "separate consent.")))

    h(2, t(N_("12. Changes to this policy")))
    channels = {"popup": N_("a notice on your next visit"), "sms": N_("SMS"), "push": N_("a push notification"),
                "email": N_("e-mail"), "page": N_("a page that spells out what changed")}
    p(t(N_("We publish every change to this policy here, with its effective date and a summary of what changed, and "
           "keep every earlier version in the version history. **We will not reduce your rights under this policy "
           "without your explicit consent.**")))
    p(t(N_("A material change — to our service model, the purposes, the types of personal information or how they are "
           "used; to who controls the operator; to the main recipients; to your rights or how to exercise them; to the "
           "department, contact or channel responsible for personal information; or when an impact assessment finds "
           "a high risk — is also announced by {channels}. **Where a change adds a purpose that rests on your consent, "
           "or reduces your rights, we ask for your consent again before it applies to you.**"),
        channels=_join([t(channels[c]) for c in op["notice_channels"]])))
    p(t(N_("**Please keep your mobile number and other contact details up to date** (on “My account”), so that our "
           "notices reach you.")))

    h(2, t(N_("13. Complaints and other remedies")))
    p(t(N_("If you are not satisfied with how we handled your personal information or your request, complain to {contact} "
           "through the channels above. If our answer does not satisfy you, you may complain to the cyberspace, "
           "telecommunications, public-security or market-regulation authorities, or **bring a lawsuit before a "
           "competent court**."), contact=op["protection_contact"]))

    h(2, t(N_("14. Where to find this policy")))
    p(t(N_("The current policy is always available at {where}; earlier versions are in its version history."),
        where=op["where_to_find"]))
    if content["impact_assessment"].get("high_risk"):
        p(t(N_("**A personal-information impact assessment found a high risk:** {summary}"),
            summary=content["impact_assessment"]["summary"]))
    return out


_CELL = str.maketrans({"|": "/", "\n": " "})


def text(block_list: list[tuple], lang: int) -> str:
    """The policy in one language (0: zh, 1: en), in the small markup."""
    lines: list[str] = []
    for b in block_list:
        if b[0] == "h":
            lines += ["#" * b[1] + " " + b[2][lang], ""]
        elif b[0] == "p":
            lines += [b[1][lang], ""]
        elif b[0] == "ul":
            lines += [f"- {item[lang]}" for item in b[1]] + [""]
        elif b[0] == "table":
            lines.append("| " + " | ".join(c[lang].translate(_CELL) for c in b[1]) + " |")
            lines += ["| " + " | ".join(c[lang].translate(_CELL) for c in row) + " |" for row in b[2]]
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def text_hash(text_zh: str, text_en: str) -> str:
    return hashlib.sha256(("zh_CN\n" + text_zh + "\nen\n" + text_en).encode()).hexdigest()


_BOLD = re.compile(r"\*\*(.+?)\*\*")
# A link to one of jidi's own pages: a path, never another site (nothing in a policy sends a reader elsewhere unasked).
_LINK = re.compile(r"\[([^\[\]]+)\]\((/[a-z0-9/_-]*)\)")


def _inline(s: str) -> str:
    return _LINK.sub(r'<a href="\2">\1</a>', _BOLD.sub(r"<strong>\1</strong>", html.escape(s, quote=True)))


def to_html(source: str) -> Markup:
    """The small markup as HTML: everything escaped, then headings, paragraphs, lists, tables and bold."""
    out: list[str] = []
    lines = source.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
        elif line.startswith("#"):
            level = min(len(line) - len(line.lstrip("#")), 4)
            out.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
            i += 1
        elif line.startswith("- "):
            items = []
            while i < len(lines) and lines[i].startswith("- "):
                items.append(f"<li>{_inline(lines[i][2:])}</li>")
                i += 1
            out.append("<ul>" + "".join(items) + "</ul>")
        elif line.startswith("| "):
            rows: list[str] = []
            while i < len(lines) and lines[i].startswith("| "):
                cells = [c.strip() for c in lines[i].strip().strip("|").split(" | ")]
                tag = "th" if not rows else "td"
                rows.append("<tr>" + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in cells) + "</tr>")
                i += 1
            out.append('<table class="card catalog policy-table">' + "".join(rows) + "</table>")
        else:
            out.append(f"<p>{_inline(line)}</p>")
            i += 1
    return Markup("\n".join(out))
