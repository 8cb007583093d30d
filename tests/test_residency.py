"""Data stays in mainland China: jidi refuses to start with storage or a recipient abroad unless a reviewed transfer
is declared (jidi.privacy.residency)."""
from __future__ import annotations

import datetime as dt

import pytest

from jidi.bootstrap import bootstrap
from jidi.config import Settings
from jidi.privacy import LegalBasis, Purpose, RecipientRole, recipient
from jidi.privacy import residency, sharing

REVIEWED = {"review": "PIA-2026-014", "reviewed_on": "2026-10-01"}


def _settings(tmp_path, key_dir, **overrides) -> Settings:
    return Settings(env="test", var_dir=tmp_path / "var", database_url=f"sqlite:///{tmp_path / 'jidi.db'}",
                    key_source=str(key_dir / "keys.json"), queue_url="immediate", **overrides)


@pytest.fixture
def abroad_recipient(monkeypatch):
    """A recipient in Singapore, declared as a feature would declare it (and gone after the test)."""
    monkeypatch.setattr(sharing, "RECIPIENTS", dict(sharing.RECIPIENTS))
    return recipient("sg_printer", "新加坡面单打印服务", "Singapore label printing", role=RecipientRole.PROCESSOR,
                     purpose=Purpose.DELIVERY, basis=LegalBasis.CONSENT, fields=(), country="SG")


@pytest.mark.promise("JD-8.1", "CN-6.1a")
def test_storage_outside_mainland_china_does_not_start(tmp_path, key_dir):
    with pytest.raises(residency.ResidencyError, match="storage in SG has no declared cross-border transfer"):
        bootstrap(_settings(tmp_path, key_dir, storage_country="SG"))
    # Hong Kong is outside mainland China too.
    with pytest.raises(residency.ResidencyError, match="storage in HK"):
        bootstrap(_settings(tmp_path, key_dir, storage_country="HK"))
    assert bootstrap(_settings(tmp_path, key_dir, storage_country="CN")).settings.storage_country == "CN"


@pytest.mark.promise("JD-8.2")
def test_a_transfer_needs_its_review_record_dated_before_it_starts(tmp_path, key_dir):
    declared = [{"covers": "storage", "country": "SG", **REVIEWED}]
    assert bootstrap(_settings(tmp_path, key_dir, storage_country="SG", cross_border_transfers=declared))
    future = [{"covers": "storage", "country": "SG", "review": "PIA-2099-001", "reviewed_on": "2099-01-01"}]
    with pytest.raises(residency.ResidencyError, match="dated in the future"):
        bootstrap(_settings(tmp_path, key_dir, storage_country="SG", cross_border_transfers=future))
    unreviewed = [{"covers": "storage", "country": "SG"}]
    with pytest.raises(residency.ResidencyError, match="needs covers, country, review and reviewed_on"):
        bootstrap(_settings(tmp_path, key_dir, storage_country="SG", cross_border_transfers=unreviewed))
    elsewhere = [{"covers": "storage", "country": "JP", **REVIEWED}]  # reviewed for another country
    with pytest.raises(residency.ResidencyError, match="storage in SG"):
        bootstrap(_settings(tmp_path, key_dir, storage_country="SG", cross_border_transfers=elsewhere))


@pytest.mark.promise("JD-8.2")
def test_a_recipient_abroad_cannot_be_declared_without_a_transfer(tmp_path, key_dir, abroad_recipient):
    with pytest.raises(residency.ResidencyError, match="sg_printer in SG has no declared cross-border transfer"):
        bootstrap(_settings(tmp_path, key_dir))
    declared = [{"covers": "sg_printer", "country": "SG", **REVIEWED}]
    assert bootstrap(_settings(tmp_path, key_dir, cross_border_transfers=declared))
    assert residency.abroad(abroad_recipient.country)


def test_a_transfer_for_nothing_declared_is_refused(tmp_path, key_dir):
    stray = [{"covers": "no_such_recipient", "country": "US", **REVIEWED}]
    with pytest.raises(residency.ResidencyError, match="neither storage nor a declared recipient"):
        bootstrap(_settings(tmp_path, key_dir, cross_border_transfers=stray))


def test_the_check_reads_only_what_it_is_given():
    today = dt.date(2026, 12, 6)
    assert residency.check("CN", [("sms_gateway", "CN")], [], today) == []
    assert residency.check("cn", [], [], today) == []


def test_the_command_line_says_why_it_does_not_start(tmp_path, key_dir, monkeypatch):
    from click.testing import CliRunner  # noqa: PLC0415

    from jidi import cli  # noqa: PLC0415

    for name, value in {"JIDI_ENV": "test", "JIDI_VAR_DIR": str(tmp_path / "var"), "JIDI_STORAGE_COUNTRY": "US",
                        "JIDI_DATABASE_URL": f"sqlite:///{tmp_path / 'jidi.db'}", "JIDI_KEY_SOURCE": str(key_dir / "keys.json")}.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(cli.main, ["serve", "--port", "9"])
    assert result.exit_code == 1
    assert "storage in US has no declared cross-border transfer" in result.output
    assert "Traceback" not in result.output


# -- a share abroad: a reviewed transfer AND the person's separate consent (PIPL art. 39, A20) ------------------------
@pytest.mark.promise("JD-8.2", "CN-6.1b")
def test_a_share_abroad_needs_the_declared_transfer_and_the_persons_separate_consent(client, sms, container, monkeypatch):
    from sqlalchemy import func, select  # noqa: PLC0415

    from jidi.accounts.models import User  # noqa: PLC0415
    from jidi.privacy import Separate  # noqa: PLC0415
    from jidi.privacy.consent import Notice  # noqa: PLC0415
    from jidi.privacy.models import ShareRecord  # noqa: PLC0415
    from jidi.privacy.sharing import CrossBorderConsentRequired, UndeclaredShare  # noqa: PLC0415
    from tests.pii import PHONES  # noqa: PLC0415
    from tests.test_accounts_api import register  # noqa: PLC0415

    monkeypatch.setattr(sharing, "RECIPIENTS", dict(sharing.RECIPIENTS))  # declared after start-up, gone after the test
    abroad = recipient("sg_broker", "新加坡清关代理", "Singapore customs broker", role=RecipientRole.THIRD_PARTY,
                       purpose=Purpose.CUSTOMER_SERVICE, basis=LegalBasis.CONSENT, fields=("users.phone",), country="SG")
    at_home = recipient("cn_broker", "境内清关代理", "Customs broker in mainland China", role=RecipientRole.THIRD_PARTY,
                        purpose=Purpose.CUSTOMER_SERVICE, basis=LegalBasis.CONSENT, fields=("users.phone",))
    phone = PHONES[0]
    register(client, sms, phone=phone)
    uid = container.accounts.user_id_for_phone(phone)
    consent = Notice("cb-1", "我同意将我的手机号提供给新加坡清关代理，用于办理清关。")

    def share(to) -> list[str]:
        with container.uow() as s:
            return container.shares.disclose(s, to, [s.get(User, uid).phone], reference="customs-1", now=container.clock())

    def recorded() -> int:
        with container.uow() as s:
            return s.scalar(select(func.count()).select_from(ShareRecord).where(ShareRecord.recipient == abroad.key))

    assert share(at_home) == [phone]  # in mainland China: no transfer, no separate consent to go abroad
    with pytest.raises(UndeclaredShare, match="no reviewed cross-border transfer"):
        share(abroad)  # no transfer declared (nor consent)
    with container.uow() as s:
        container.consents.record_grant(s, uid, Separate.CROSS_BORDER, consent, how="page", how_ref="/customs")
    with pytest.raises(UndeclaredShare):
        share(abroad)  # the consent alone is not enough either
    container.settings.cross_border_transfers = [{"covers": "sg_broker", "country": "SG", "review": "PIA-2026-014",
                                                  "reviewed_on": "2099-01-01"}]
    with pytest.raises(UndeclaredShare):
        share(abroad)  # a review dated in the future is no review
    container.settings.cross_border_transfers = [{"covers": "sg_broker", "country": "SG", **REVIEWED}]
    assert share(abroad) == [phone] and recorded() == 1  # both: it leaves, recorded
    with container.uow() as s:
        container.consents.withdraw(s, uid, Separate.CROSS_BORDER, how="page", how_ref="/privacy/consents")
    with pytest.raises(CrossBorderConsentRequired):
        share(abroad)  # the transfer alone is not enough: the consent is withdrawn
    assert recorded() == 1  # nothing more was recorded
