"""A newcomer's first commands: `jidi migrate` says what it did, `jidi demo` loads a demo to look at (once) and
prints where to find it, `jidi serve` links to itself, and `make totp` with a wrong name explains itself."""
from __future__ import annotations

import datetime as dt
import os
import subprocess

import pytest
from click.testing import CliRunner

from jidi import cli, demo
from jidi.bootstrap import bootstrap
from jidi.config import Settings
from jidi.db import make_engine
from jidi.migrate import upgrade
from jidi.rights import kinds
from jidi.shipping import states
from tests.conftest import _drop_pg_database, _pg_database

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture
def fresh_container(backend, tmp_path, key_dir):
    """A container on a new, empty database of the same kind as `backend`."""
    if backend[0] == "sqlite":
        url, name = f"sqlite:///{tmp_path / 'new.db'}", None
    else:
        name, url = _pg_database()
    engine = make_engine(url)
    yield bootstrap(Settings(env="test", var_dir=tmp_path / "var", database_url=url, key_source=str(key_dir / "keys.json"),
                             queue_url="immediate"), engine=engine)
    engine.dispose()
    if name:
        _drop_pg_database(name)


def test_migrate_says_whether_it_created_upgraded_or_found_the_schema_current(fresh_container, monkeypatch):
    monkeypatch.setattr(cli, "_container", lambda: fresh_container)
    first = CliRunner().invoke(cli.main, ["migrate"])
    assert first.exit_code == 0 and first.output.startswith("created the database schema (revision "), first.output
    again = CliRunner().invoke(cli.main, ["migrate"])
    assert again.exit_code == 0 and again.output.startswith("database is up to date (revision "), again.output
    head = again.output.split("revision ")[1].rstrip(")\n")
    assert head in first.output


def test_migrate_names_the_revisions_it_upgraded_between(fresh_container):
    from alembic import command  # noqa: PLC0415

    from jidi.migrate import alembic_config, describe  # noqa: PLC0415

    with fresh_container.engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010")
    before, after = upgrade(fresh_container.engine)
    assert before == ("0010",) and after != before
    assert describe(before, after) == f"upgraded the database from revision 0010 to {', '.join(after)}"


def test_totp_for_an_unknown_name_says_so_without_a_traceback(container, monkeypatch):
    monkeypatch.setattr(cli, "_container", lambda: container)
    r = CliRunner().invoke(cli.main, ["totp", "nobody"])
    assert r.exit_code == 1
    assert "no staff account with that username has an authenticator" in r.output and "support, privacy, admin, courier" in r.output
    assert "nobody" not in r.output and "Traceback" not in r.output


def test_totp_before_the_database_is_set_up_says_what_to_run(fresh_container, monkeypatch):
    monkeypatch.setattr(cli, "_container", lambda: fresh_container)
    r = CliRunner().invoke(cli.main, ["totp", "support"])
    assert r.exit_code == 1 and "the database has no schema yet: run `make run`" in r.output, r.output


def test_make_totp_without_a_name_explains_how_to_use_it():
    r = subprocess.run(["make", "-s", "totp", "WHO="], cwd=ROOT, capture_output=True,
                       text=True, env={**os.environ, "MAKEFLAGS": ""})
    assert r.returncode != 0 and "make totp WHO=support" in r.stdout + r.stderr


def test_make_run_takes_another_port_and_links_to_it():
    def dry_run(**env):
        return subprocess.run(["make", "-n", "run", "PORT=9001"], cwd=ROOT, capture_output=True, text=True, check=True,
                              env={**{k: v for k, v in os.environ.items() if k != "JIDI_BASE_URL"}, **env}).stdout

    out = dry_run()
    assert '--port 9001' in out and out.count('JIDI_BASE_URL="http://127.0.0.1:9001"') == 2  # the demo logins and serve
    assert out.count('JIDI_BASE_URL="https://jidi.example.cn"') == 0
    assert dry_run(JIDI_BASE_URL="https://jidi.example.cn").count('JIDI_BASE_URL="https://jidi.example.cn"') == 2


def test_serve_links_to_the_port_it_serves_unless_the_base_url_is_set(monkeypatch):
    import uvicorn  # noqa: PLC0415

    seen = []
    monkeypatch.setattr(uvicorn, "run", lambda *a, **kw: seen.append((os.environ.get("JIDI_BASE_URL"), kw["port"])))
    monkeypatch.delenv("JIDI_BASE_URL", raising=False)
    assert CliRunner().invoke(cli.main, ["serve", "--port", "9123"]).exit_code == 0
    assert seen[-1] == ("http://127.0.0.1:9123", 9123) and Settings().base_url == "http://127.0.0.1:9123"
    monkeypatch.setenv("JIDI_BASE_URL", "https://jidi.example.cn")
    assert CliRunner().invoke(cli.main, ["serve", "--port", "9124", "--host", "0.0.0.0"]).exit_code == 0
    assert seen[-1] == ("https://jidi.example.cn", 9124)
    assert cli.serving_url("0.0.0.0", 8001) == "http://127.0.0.1:8001" and cli.serving_url("::1", 8001) == "http://[::1]:8001"


def test_the_label_qr_code_links_to_the_base_url(container, client, sms, monkeypatch):
    """The QR code on the label holds the tracking link at JIDI_BASE_URL (what `jidi serve` derives from its port)."""
    from jidi.shipping import label  # noqa: PLC0415
    from tests.test_accounts_api import auth, register  # noqa: PLC0415
    from tests.test_label import SENDER_PHONE, label_order  # noqa: PLC0415

    drawn = []
    render = label.render
    monkeypatch.setattr(label, "render", lambda data, gettext: drawn.append(data.track_url) or render(data, gettext))
    container.settings.base_url = "http://127.0.0.1:9123"
    token = register(client, sms, phone=SENDER_PHONE)
    wb = client.post("/api/v1/orders", json=label_order(), headers=auth(token)).json()["waybill_no"]
    assert client.get(f"/api/v1/orders/{wb}/label.pdf", headers=auth(token)).status_code == 200
    assert drawn == [f"http://127.0.0.1:9123/track/{wb}"]


def _demo_state(c):
    customer = c.accounts.user_id_for_phone(demo.DEMO_CUSTOMER_PHONE)
    orders = c.shipping.my_orders(customer)
    return {
        "statuses": sorted(o.status for o in orders),
        "addresses": len(c.addressbook.list(customer)),
        "family": [(g.binding.status, len(g.parcels) > 0) for g in c.family.parcels(customer)],
        "requests": [(r.kind, r.status in kinds.OPEN) for r in c.rights.my_requests(customer)],
    }


def test_the_demo_has_parcels_in_every_state_addresses_a_family_number_and_a_request_once(container, clock, monkeypatch):
    monkeypatch.setattr(cli, "_container", lambda: container)

    def ticking(self):  # time passes between the demo's steps, as it does for real
        self.now += dt.timedelta(milliseconds=1)
        return self.now

    monkeypatch.setattr(type(clock), "__call__", ticking)
    container.settings.base_url = "http://127.0.0.1:8123"
    r = CliRunner().invoke(cli.main, ["demo"])
    assert r.exit_code == 0, r.output
    assert "http://127.0.0.1:8123/login" in r.output and "http://127.0.0.1:8123/staff/login" in r.output
    assert "http://127.0.0.1:8123/api/docs" in r.output and ":8000" not in r.output
    state = _demo_state(container)
    assert set(state["statuses"]) >= {states.AWAITING_PICKUP, states.PICKED_UP, states.IN_TRANSIT, states.OUT_FOR_DELIVERY,
                                      states.DELIVERED, states.CANCELLED, states.NOT_ACCEPTED}
    assert state["addresses"] == len(demo.ADDRESSES) and state["family"] == [("active", True)]
    assert state["requests"] == [(kinds.CORRECTION, True)]
    # The request waits in the privacy officer's queue.
    officer = container.accounts.staff_login("privacy", demo.DEMO_STAFF_PASSWORD, container.accounts.current_totp("privacy"))
    from jidi.privacy import Actor, Role  # noqa: PLC0415

    assert [q.kind for q in container.rights.queue(Actor(officer.user_id, Role.PRIVACY_OFFICER))] == [kinds.CORRECTION]
    # The delivered parcel has its whole route; the cancelled one shows the cancellation.
    customer = container.accounts.user_id_for_phone(demo.DEMO_CUSTOMER_PHONE)
    routes = {o.status: [s.action for s in container.tracking.route(o.waybill_no)] for o in container.shipping.my_orders(customer)}
    assert routes[states.DELIVERED] == ["picked_up", "arrived_facility", "departed_facility", "arrived_facility",
                                        "out_for_delivery", "delivered"]
    assert routes[states.CANCELLED] == ["cancelled"]
    # Running it again adds nothing.
    assert CliRunner().invoke(cli.main, ["demo"]).exit_code == 0
    assert _demo_state(container) == state
