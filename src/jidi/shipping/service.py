"""Shipping use cases: quote, place or import an order, list and show orders, cancel, pay, real-name pickup.

Each public method is one transaction. Personal values leave this module only as masked `Personal`s, except
to the roles and purposes the catalog allows.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased, load_only, object_session, undefer

from jidi import errors, privacy, regions, values, waybill
from jidi.db import id_batches, is_postgresql, one_of
from jidi.i18n import DEFAULT_LOCALE, N_, gettext_for
from jidi.privacy import Actor, Mask, Personal, Purpose, Role, mask
from jidi.shipping import journey, states
from jidi.shipping.models import Merchant, Order, OrderParty, PickupRecord, VerifiedIdentity
from jidi.shipping.tariff import Quote, load

SERVICE_TYPES = ("standard", "express")
PAYMENT_MODES = ("pay_now", "pay_later", "recipient_pays")
MAX_WEIGHT_G = 50_000
MAX_DECLARED_FEN = 10_000_000  # ¥100,000
# Whoever places an order enters the recipient's details (JD-1.1, JD-1.1.2(1)b): shown on the form and in the API's answer.
CONSENT_REMINDER = N_("When you enter other people's details, such as a recipient's name, phone and address, make sure they have agreed.")
# A courier picks a parcel up while it waits for pickup, or again after it was not accepted for lack of an ID.
PICKUP_FROM = frozenset({states.AWAITING_PICKUP, states.NOT_ACCEPTED})


@dataclasses.dataclass
class PartyIn:
    name: str
    phone: str
    region_code: str
    address: str


@dataclasses.dataclass
class OrderIn:
    sender: PartyIn
    recipient: PartyIn
    item_name: str
    item_category: str
    quantity: int
    weight_g: int
    declared_value_fen: int
    service_type: str = "standard"
    payment_mode: str = "pay_now"
    pickup_from: dt.datetime | None = None
    pickup_until: dt.datetime | None = None
    insured: bool = False  # insure the declared value (journey.insurance_fen)
    # The address-book entries the parties came from, if they did ("ship again" selects them again).
    sender_entry_id: uuid.UUID | None = None
    recipient_entry_id: uuid.UUID | None = None


@dataclasses.dataclass(frozen=True)
class Estimate:
    """What an order would cost and when it should arrive, before it is placed (Shipping.estimate)."""
    zone: str
    chargeable_kg: int
    freight_fen: int
    insurance_fen: int
    estimated_delivery: dt.date

    @property
    def total_fen(self) -> int:
        return self.freight_fen + self.insurance_fen


@dataclasses.dataclass
class PartyView:
    role: str
    name: Personal
    phone: Personal
    region_code: str
    address: Personal


@dataclasses.dataclass
class OrderView:
    waybill_no: str
    status: str
    exception: str | None
    service_type: str
    payment_mode: str
    item_category: str
    item_name: Personal | None
    quantity: int
    weight_g: int
    declared_value_fen: int
    price_fen: int
    sender: PartyView
    recipient: PartyView
    created_at: dt.datetime
    mine_as: str  # sender | recipient | staff
    paid: bool = False  # paid (and, once cancelled, refunded: refund_fen)
    insurance_fen: int = 0
    pickup_from: dt.datetime | None = None
    pickup_until: dt.datetime | None = None
    status_at: dt.datetime | None = None
    placed_by_me: bool = False  # the viewer's account placed it (may print its label, reveal its addresses, ship again)

    @property
    def refunded_fen(self) -> int:
        return refund_fen(self.status, self.paid, self.price_fen)

    @property
    def freight_fen(self) -> int:
        return self.price_fen - self.insurance_fen

    @property
    def estimated_delivery(self) -> dt.date | None:
        """The day in China the parcel should arrive, while it is on its way or waiting for pickup (None after)."""
        if self.status in states.TERMINAL or self.status in (states.REFUSED, states.RETURNING):
            return None
        zone = load().zone(self.sender.region_code, self.recipient.region_code)
        leaves = self.pickup_from or self.created_at
        if self.status in states.FULFILMENT and self.status_at is not None:
            leaves = min(leaves, self.status_at)
        return journey.estimated_delivery(zone, self.service_type, leaves)


@dataclasses.dataclass(frozen=True)
class ParcelRow:
    """One parcel in a list (my parcels, the home page): what a row shows, nothing personal but the other party's name
    (the recipient's on a parcel I sent, the sender's on one sent to me), masked, and opened for its mask only when
    the row is shown. Regions are the order's own (GB/T 2260 codes), so no party's address is read for a list."""
    waybill_no: str
    status: str
    created_at: dt.datetime
    price_fen: int
    item_category: str
    quantity: int
    origin_region: str
    dest_region: str
    mine_as: str  # sender | recipient
    other_name: Personal | None = None


@dataclasses.dataclass(frozen=True)
class OrdersPage:
    """A page of my parcels (Shipping.my_orders_page): the orders, how many match, which page of how many, and how
    many of all my parcels (before the status filter) are in each status group."""
    orders: list[ParcelRow]
    total: int
    page: int
    pages: int
    group_counts: dict[str, int]
    all_count: int


@dataclasses.dataclass(frozen=True)
class ParcelFacts:
    """What another feature may know of an order to decide about it, without reading shipping's tables: ids, state and
    times, and the keyed index of its recipient's phone (no personal value)."""
    id: uuid.UUID
    waybill_no: str
    status: str
    delivered_as: str | None
    created_at: dt.datetime
    recipient_subject_id: uuid.UUID | None
    recipient_phone_index: bytes | None


@dataclasses.dataclass(frozen=True)
class PaymentFacts:
    """What the payments feature may know of an order to take or return its payment: ids, state, mode and price, and
    who asks (sender, recipient or neither), without reading shipping's tables."""
    order_id: uuid.UUID
    waybill_no: str
    status: str
    payment_mode: str
    price_fen: int
    paid: bool
    owner_id: uuid.UUID | None
    merchant_id: uuid.UUID | None
    mine_as: str = ""  # sender | recipient | "" (facts read for no one in particular)

    @property
    def payable(self) -> bool:
        """Whether the one asking may pay it now: unpaid and not cancelled; the sender pays a pay-now or pay-later order
        (before or after delivery), the recipient a recipient-pays one."""
        if self.paid or self.status == states.CANCELLED:
            return False
        if self.mine_as == "sender":
            return self.payment_mode in ("pay_now", "pay_later") and self.merchant_id is None
        return self.mine_as == "recipient" and self.payment_mode == "recipient_pays"


@dataclasses.dataclass(frozen=True)
class CourierParcel:
    """An order as a courier's task sees it (Shipping.courier_parcels): facts, and both parties still sealed."""
    id: uuid.UUID
    waybill_no: str
    status: str
    owner_id: uuid.UUID | None
    origin_region: str
    dest_region: str
    service_type: str
    item_category: str
    quantity: int
    weight_g: int
    price_fen: int
    pickup_from: dt.datetime | None
    pickup_until: dt.datetime | None
    sender: PartyView
    recipient: PartyView


@dataclasses.dataclass
class PickupView:
    """A parcel as the courier at the door sees it (Shipping.pickup_view): masked, nothing the pickup does not need."""

    waybill_no: str
    status: str
    exception: str | None
    sender_name: Personal
    sender_phone: Personal
    origin_region: str  # GB/T 2260 codes: pages and the API show their names in the reader's language
    dest_region: str
    item_category: str
    quantity: int
    weight_g: int
    identity_on_file: bool  # the sender's account has a verified identity, which the pickup reuses (JD-1.1.2(6)b)
    can_pick_up: bool


@dataclasses.dataclass
class PickupOutcome:
    waybill_no: str
    status: str
    reused_identity: bool
    picked_up_at: dt.datetime
    repeated: bool  # the same courier's retry of a pickup already recorded: nothing new was written


def pickup_site(origin_region: str) -> tuple[str, str]:
    """The site a pickup is recorded at when the courier's device does not name one: the pickup station of the
    origin district (a business site, not a home)."""
    return f"ST{origin_region}", f"{regions.full_name(origin_region)}营业部"


def _checked_party(p: PartyIn) -> PartyIn:
    return PartyIn(values.text(p.name, 30, N_("name")), values.phone(p.phone), region(p.region_code),
                   values.text(p.address, 120, N_("street address")))


def region(code: str) -> str:
    """A mainland district-level code (GB/T 2260) that the tariff can route."""
    code = (code or "").strip()
    if not regions.is_leaf(code) or code[:2] not in load().groups:
        raise errors.invalid_region()
    return code


ORDER_STATUS_CHANGED = "order.status_changed"


def announce_status(container, s: Session, changes: list[tuple[uuid.UUID, str, str, str | None, dt.datetime]]) -> None:
    """Record, in the transaction that changed them, that orders changed status: (order id, waybill number, new status,
    exception code, when). A durable event (jidi.events) with ids, codes and times only; features that react to it
    (merchant webhooks) register their handlers for ORDER_STATUS_CHANGED."""
    rows = [[str(order_id), waybill_no, status, exception, when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")]
            for order_id, waybill_no, status, exception, when in changes]
    for start in range(0, len(rows), 500):
        container.events.record(s, ORDER_STATUS_CHANGED, changes=rows[start:start + 500])


def refund_fen(status: str, paid: bool, price_fen: int) -> int:
    """What a cancelled order refunded: the whole price if it was paid, else nothing."""
    return price_fen if status == states.CANCELLED and paid else 0


class Shipping:
    def __init__(self, container):
        self.c = container

    @property
    def vault(self):
        return self.c.vault

    # -- quotes and validation ------------------------------------------------------------------------
    def quote(self, origin: str, dest: str, weight_g: int, service_type: str) -> Quote:
        if service_type not in SERVICE_TYPES:
            raise errors.invalid_field(N_("service type"))
        if not 1 <= weight_g <= MAX_WEIGHT_G:
            raise errors.invalid_field(N_("weight (1 g to 50 kg)"))
        return load().quote(region(origin), region(dest), weight_g, service_type)

    def _check(self, o: OrderIn) -> tuple[PartyIn, PartyIn, Quote]:
        if o.item_category in load().prohibited:
            raise errors.item_prohibited()
        if o.item_category not in load().categories:
            raise errors.invalid_field(N_("item category"))
        if o.payment_mode not in PAYMENT_MODES:
            raise errors.invalid_field(N_("payment mode"))
        if not 1 <= o.quantity <= 999:
            raise errors.invalid_field(N_("quantity (1–999)"))
        if not 0 <= o.declared_value_fen <= MAX_DECLARED_FEN:
            raise errors.invalid_field(N_("declared value (up to 100,000 yuan)"))
        now = self.c.clock()
        if o.pickup_from or o.pickup_until:
            if not (o.pickup_from and o.pickup_until and now - dt.timedelta(minutes=5) <= o.pickup_from < o.pickup_until
                    and o.pickup_until - o.pickup_from >= dt.timedelta(hours=1) and o.pickup_from <= now + dt.timedelta(days=7)):
                raise errors.invalid_field(N_("pickup window (at least one hour, within the next 7 days)"))
        sender, recipient = _checked_party(o.sender), _checked_party(o.recipient)
        quote = self.quote(sender.region_code, recipient.region_code, o.weight_g, o.service_type)
        return sender, recipient, quote

    def estimate(self, o: OrderIn) -> Estimate:
        """The price (freight and insurance) and the expected delivery day of an order, checked as placing it would
        check it, without placing it: the ship page's estimate and its confirmation step."""
        _, _, quote = self._check(o)
        return self._estimate(quote, o)

    def _estimate(self, quote: Quote, o: OrderIn) -> Estimate:
        leaves = o.pickup_from or self.c.clock()
        return Estimate(quote.zone, quote.chargeable_kg, quote.price_fen, journey.insurance_fen(o.declared_value_fen, o.insured),
                        journey.estimated_delivery(quote.zone, o.service_type, leaves))

    def pickup_slots(self, origin_region: str) -> list[journey.Slot]:
        """The pickup slots still open for a parcel from this district: not started (less the courier's lead time),
        not full. China time."""
        candidates = journey.candidate_slots(self.c.clock())
        if not candidates:
            return []
        with self.c.uow() as s:
            booked = dict(s.execute(
                select(Order.pickup_from, func.count()).where(
                    Order.origin_region == origin_region, Order.status != states.CANCELLED,
                    Order.pickup_from.in_([slot.start for slot in candidates]))
                .group_by(Order.pickup_from)).all())
        counts = {when.astimezone(dt.UTC): n for when, n in booked.items() if when is not None}
        return [slot for slot in candidates if counts.get(slot.start.astimezone(dt.UTC), 0) < journey.SLOT_CAPACITY]

    # -- placing orders -------------------------------------------------------------------------------
    def place(self, owner_id: uuid.UUID | None, o: OrderIn, *, merchant_id: uuid.UUID | None = None,
              merchant_order_ref: str | None = None,
              extend: Callable[[Session, uuid.UUID, str], None] | None = None) -> tuple[str, bool]:
        """Create an order and its waybill number; returns (waybill_no, created). A merchant's retried import of
        the same order id returns the existing waybill instead of creating another. `extend(session, order id,
        waybill_no)`, if given, adds another feature's part of the order (cash on delivery's amount) in the same
        transaction: both are written, or neither."""
        sender, recipient, quote = self._check(o)
        premium = journey.insurance_fen(o.declared_value_fen, o.insured)
        item_name = values.text(o.item_name, 60, N_("item name"))
        if merchant_id is not None:
            existing = self._merchant_order(merchant_id, merchant_order_ref)
            if existing:
                return existing, False
        try:
            with self.c.uow() as s:
                now = self.c.clock()
                order = Order(
                    id=uuid.uuid4(), waybill_no=waybill.new_waybill_no(), owner_id=owner_id, merchant_id=merchant_id,
                    merchant_order_ref=merchant_order_ref, service_type=o.service_type, payment_mode=o.payment_mode,
                    # Fulfilment starts only after payment or an accepted pay-later (JD-1.1.2(6)a). A merchant's
                    # import is billed to the merchant's account (月结): it never waits for a payment (jidi.payments).
                    status=states.AWAITING_PAYMENT if o.payment_mode == "pay_now" and merchant_id is None else states.AWAITING_PICKUP,
                    item_category=o.item_category, quantity=o.quantity, weight_g=o.weight_g,
                    declared_value_fen=o.declared_value_fen, price_fen=quote.price_fen + premium, insurance_fen=premium,
                    sender_entry_id=o.sender_entry_id, recipient_entry_id=o.recipient_entry_id, origin_region=sender.region_code,
                    dest_region=recipient.region_code, pickup_from=o.pickup_from, pickup_until=o.pickup_until,
                    created_at=now, updated_at=now, status_at=now,
                )
                order.item_name = item_name  # sealed at flush under the order's own one-off subject
                s.add(order)
                for role, p in (("sender", sender), ("recipient", recipient)):
                    party = OrderParty(id=uuid.uuid4(), order_id=order.id, role=role)
                    self._fill_party(party, p)
                    s.add(party)
                if extend is not None:
                    s.flush()
                    extend(s, order.id, order.waybill_no)
                return order.waybill_no, True
        except IntegrityError:
            # Two imports of one merchant order raced; the other one won.
            existing = self._merchant_order(merchant_id, merchant_order_ref) if merchant_id else None
            if existing is None:
                raise
            return existing, False

    @staticmethod
    def _fill_party(party: OrderParty, p: PartyIn) -> None:
        """A party's details, sealed at flush under a fresh subject of its own: their data, not the sender's."""
        party.subject_id = None  # type: ignore[assignment]  # emptied: sealing gives it a one-off subject at flush
        party.region_code, party.name, party.phone, party.address = p.region_code, p.name, p.phone, p.address

    def party_from_address_book(self, owner_id: uuid.UUID, entry_id: uuid.UUID) -> PartyIn:
        """A saved sender or recipient of this owner, opened for delivery to fill an order."""
        return PartyIn(*self.c.addressbook.for_delivery(owner_id, entry_id))

    def _merchant_order(self, merchant_id, ref) -> str | None:
        with self.c.uow() as s:
            return s.scalar(select(Order.waybill_no).where(Order.merchant_id == merchant_id, Order.merchant_order_ref == ref))

    # -- merchants ------------------------------------------------------------------------------------
    def create_merchant(self, name: str) -> tuple[uuid.UUID, str]:
        """A merchant channel and its API key (shown once; only its keyed hash is stored)."""
        key = "mk_" + self.c.secrets.new_token()
        with self.c.uow() as s:
            m = Merchant(id=uuid.uuid4(), name=values.text(name, 100, N_("merchant name")), api_key_hash=self.c.secrets.token_hash(key))
            s.add(m)
        return m.id, key

    def merchant_for_key(self, key: str | None) -> uuid.UUID:
        if not key or len(key) > 200:
            raise errors.merchant_key_invalid()
        with self.c.uow() as s:
            m = s.scalar(select(Merchant).where(Merchant.api_key_hash == self.c.secrets.token_hash(key), Merchant.active.is_(True)))
        if m is None:
            raise errors.merchant_key_invalid()
        return m.id

    def parties_to_notify(self, s: Session, order_ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[str, list[tuple[uuid.UUID, Personal]]]]:
        """For a service message about each parcel (tracking's route SMS): its waybill number, and the subject and
        phone (a Personal, which the notifier opens for NOTIFICATION) of its sender and recipient, in the caller's transaction."""
        parcels: dict[uuid.UUID, tuple[str, list[tuple[uuid.UUID, Personal]]]] = {row.id: (row.waybill_no, []) for row in s.execute(select(Order.id, Order.waybill_no).where(Order.id.in_(order_ids)))}
        for p in s.scalars(select(OrderParty).where(OrderParty.order_id.in_(order_ids)).order_by(OrderParty.role)):
            phone = p.phone
            if phone is not None and p.order_id in parcels:
                parcels[p.order_id][1].append((p.subject_id, phone))
        return parcels

    def announce_status(self, s: Session, changes: list[tuple[uuid.UUID, str, str, str | None, dt.datetime]]) -> None:
        """Orders another feature moved (tracking's route events) announce their new status as shipping's own do."""
        announce_status(self.c, s, changes)

    def merchant_orders(self, s: Session, order_ids: set[uuid.UUID]) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
        """Of these orders, those a merchant imported: order id -> (merchant id, the merchant's own order reference),
        in the caller's transaction (merchant webhooks)."""
        if not order_ids:
            return {}
        rows = s.execute(select(Order.id, Order.merchant_id, Order.merchant_order_ref)
                         .where(Order.id.in_(order_ids), Order.merchant_id.is_not(None)))
        return {row.id: (row.merchant_id, row.merchant_order_ref) for row in rows}

    def parcel_facts(self, s: Session, waybill_nos: list[str]) -> dict[str, ParcelFacts]:
        """The facts of the orders with these waybill numbers, in the caller's transaction (unknown numbers: absent)."""
        recipient = OrderParty.__table__.alias("recipient")
        rows = s.execute(
            select(Order.id, Order.waybill_no, Order.status, Order.delivered_as, Order.created_at, recipient.c.subject_id,
                   recipient.c.phone_bidx)
            .outerjoin(recipient, (recipient.c.order_id == Order.id) & (recipient.c.role == "recipient"))
            .where(Order.waybill_no.in_(waybill_nos))
        ).all()
        return {row.waybill_no: ParcelFacts(*row) for row in rows}

    def courier_parcels(self, s: Session, order_ids: set[uuid.UUID] | None = None, *, statuses: tuple[str, ...] = (),
                        limit: int = 2000) -> dict[uuid.UUID, CourierParcel]:
        """What a courier's task needs of orders (jidi.couriers), in the caller's transaction: the given orders, or the
        newest `limit` in `statuses`. The parties' values stay sealed `Personal`s: the couriers feature masks them and
        opens only the address of the stop being worked, for DELIVERY, audited."""
        o = Order.__table__.c
        q = select(o.id, o.waybill_no, o.status, o.owner_id, o.origin_region, o.dest_region, o.service_type, o.item_category,
                   o.quantity, o.weight_g, o.price_fen, o.pickup_from, o.pickup_until)
        if order_ids is not None:
            if not order_ids:
                return {}
            q = q.where(o.id.in_(order_ids))
        else:
            q = q.where(o.status.in_(statuses)).order_by(o.created_at.desc()).limit(limit)
        rows = {row.id: row for row in s.execute(q)}
        parties: dict[uuid.UUID, dict[str, PartyView]] = {oid: {} for oid in rows}
        # Only what a stop shows (name, phone, district, address): the other columns are not loaded or unsealed.
        cols = load_only(OrderParty.order_id, OrderParty.role, OrderParty.subject_id, OrderParty.name, OrderParty.phone,
                         OrderParty.region_code, OrderParty.address)
        for batch in id_batches(list(rows), is_postgresql(s)):
            for p in s.scalars(select(OrderParty).options(cols).where(one_of(OrderParty.order_id, batch, is_postgresql(s)))):
                parties[p.order_id][p.role] = PartyView(p.role, p.name, p.phone, p.region_code, p.address)
        return {oid: CourierParcel(*tuple(row), parties[oid]["sender"], parties[oid]["recipient"])  # type: ignore[call-arg]
                for oid, row in rows.items() if len(parties[oid]) == 2}

    # -- viewing --------------------------------------------------------------------------------------
    def _user_phone_index(self, s: Session, user_id: uuid.UUID) -> bytes | None:
        return self.c.accounts.phone_index(s, user_id)

    def owners_shipped_since(self, s: Session, since: dt.datetime) -> set[uuid.UUID]:
        """Accounts that placed an order since `since` that was not cancelled: a non-personal attribute, for segmenting."""
        return set(s.scalars(select(Order.owner_id).where(
            Order.owner_id.is_not(None), Order.created_at >= since,
            Order.status.not_in((states.CANCELLED, states.AWAITING_PAYMENT))).distinct()))

    def my_orders(self, user_id: uuid.UUID, limit: int = 100) -> list[OrderView]:
        """Orders I sent, and orders addressed to my verified phone — including ones others and merchants placed."""
        with self.c.uow() as s:
            phone_idx = self._user_phone_index(s, user_id)
            received = select(OrderParty.order_id).where(OrderParty.role == "recipient", OrderParty.phone_bidx == phone_idx)
            orders = s.scalars(
                select(Order).where(or_(Order.owner_id == user_id, Order.id.in_(received))).order_by(Order.created_at.desc()).limit(limit)
            ).all()
            return self._views(s, orders, user_id, phone_idx)

    def my_orders_page(self, user_id: uuid.UUID, *, box: str = "all", group: str = "", waybill_no: str = "",
                       page: int = 1, per_page: int = 20) -> "OrdersPage":
        """One page of my parcels, newest first: `box` sent, received or all; `group` a key of states.STATUS_GROUPS
        (else every state); `waybill_no` a whole or partial number (not personal: it is on the parcel). The filters
        and the page are applied in the database, so a long history costs one page of rows: two statements, the
        counts per status and the page's rows (my phone's index is a subquery of each). A row reads the order's own
        columns and one personal value, the other party's name (ParcelRow)."""
        with self.c.uow() as s:
            me = self.c.accounts.phone_index_of(user_id)
            received = select(OrderParty.order_id).where(OrderParty.role == "recipient", OrderParty.phone_bidx == me)
            mine = {"sent": Order.owner_id == user_id, "received": Order.id.in_(received)}.get(
                box, or_(Order.owner_id == user_id, Order.id.in_(received)))
            where = [mine]
            number = waybill.normalise(waybill_no)[:30] if waybill_no else ""
            if number:
                where.append(Order.waybill_no.contains(number, autoescape=True))
            counts = dict(s.execute(select(Order.status, func.count()).where(*where).group_by(Order.status)).all())
            wanted = states.STATUS_GROUPS.get(group)
            if wanted:
                where.append(Order.status.in_(wanted))
            total = sum(n for st, n in counts.items() if not wanted or st in wanted)  # no second count query
            pages = max(1, -(-total // per_page))
            page = min(max(1, page), pages)
            rows = self._parcel_rows(s, user_id, where, offset=(page - 1) * per_page, limit=per_page) if total else []
        group_counts = {g: sum(counts.get(st, 0) for st in sts) for g, sts in states.STATUS_GROUPS.items()}
        return OrdersPage(rows, total, page, pages, group_counts, sum(counts.values()))

    def in_progress(self, user_id: uuid.UUID, limit: int = 5) -> list[ParcelRow]:
        """My parcels still on their way (sent, or addressed to my phone), newest first: the home page's glance."""
        with self.c.uow() as s:
            me = self.c.accounts.phone_index_of(user_id)
            received = select(OrderParty.order_id).where(OrderParty.role == "recipient", OrderParty.phone_bidx == me)
            where = [or_(Order.owner_id == user_id, Order.id.in_(received)), Order.status.in_(states.IN_PROGRESS)]
            return self._parcel_rows(s, user_id, where, offset=0, limit=limit)

    @staticmethod
    def _parcel_rows(s: Session, user_id: uuid.UUID, where: list, *, offset: int, limit: int) -> list[ParcelRow]:
        """List rows of my orders matching `where`, newest first, in one statement: the order's columns and the other
        party (only its name is read: no phone or address is loaded, so none is opened)."""
        sent = Order.owner_id == user_id
        other = aliased(OrderParty)
        rows = s.execute(
            select(Order.waybill_no, Order.status, Order.created_at, Order.price_fen, Order.item_category, Order.quantity,
                   Order.origin_region, Order.dest_region, sent.label("sent"), other)
            .join(other, (other.order_id == Order.id) & (other.role == case((sent, "recipient"), else_="sender")))
            .options(load_only(other.id, other.order_id, other.role, other.subject_id, other.name))
            .where(*where).order_by(Order.created_at.desc(), Order.id).offset(offset).limit(limit)).all()
        return [ParcelRow(r.waybill_no, r.status, r.created_at, r.price_fen, r.item_category, r.quantity, r.origin_region,
                          r.dest_region, "sender" if r.sent else "recipient", r[-1].name) for r in rows]

    def order_for(self, user_id: uuid.UUID, waybill_no: str) -> OrderView:
        """One order, to its sender or recipient only; anyone else gets not-found."""
        with self.c.uow() as s:
            order = self._by_waybill(s, waybill_no)
            phone_idx = self._user_phone_index(s, user_id)
            view = self._view(s, order, user_id, phone_idx) if order else None
        if view is None or view.mine_as == "staff":
            raise errors.not_found()
        return view

    def order_for_phone(self, waybill_no: str, *, phone: str | None = None, phone_idx: bytes | None = None) -> OrderView | None:
        """One order, to whoever proved the full number of its sender or recipient (JD-1.1.2(2)b, used by
        jidi.family), given in full or by its blind index: None when the number matches neither, the waybill is unknown
        or malformed."""
        if not waybill.is_valid(waybill_no) or (phone is None and phone_idx is None):
            return None
        phone_idx = phone_idx or self.c.finder.index(OrderParty.phone, phone)
        with self.c.uow() as s:
            order = self._by_waybill(s, waybill_no)
            view = self._view(s, order, None, phone_idx) if order else None
        return view if view is not None and view.mine_as != "staff" else None

    def received_by_phone(self, phone_idx: bytes, created_after: dt.datetime, limit: int = 100) -> list[OrderView]:
        """Orders addressed to a number (by its blind index) created after a moment: a family number's view."""
        with self.c.uow() as s:
            received = select(OrderParty.order_id).where(OrderParty.role == "recipient", OrderParty.phone_bidx == phone_idx)
            orders = s.scalars(select(Order).where(Order.id.in_(received), Order.created_at > created_after)
                               .order_by(Order.created_at.desc()).limit(limit)).all()
            return [self._view(s, o, None, phone_idx) for o in orders]

    def _by_waybill(self, s: Session, waybill_no: str, *, lock: bool = False) -> Order | None:
        value = waybill.normalise(waybill_no)
        if not waybill.is_valid(value):
            raise errors.invalid_waybill()
        query = select(Order).where(Order.waybill_no == value)
        return s.scalar(query.with_for_update() if lock else query)

    def _views(self, s: Session, orders, user_id: uuid.UUID | None, phone_idx: bytes | None) -> list[OrderView]:
        """Views of many orders, their parties read in one query (a list page costs two queries, not one per order)."""
        by_order: dict = {}
        if orders:
            for p in s.scalars(select(OrderParty).where(OrderParty.order_id.in_([o.id for o in orders]))):
                by_order.setdefault(p.order_id, {})[p.role] = p
        return [self._view(s, o, user_id, phone_idx, by_order.get(o.id, {})) for o in orders]

    def _view(self, s: Session, order: Order, user_id: uuid.UUID | None, phone_idx: bytes | None,
              parties: dict | None = None) -> OrderView:
        if parties is None:
            parties = {p.role: p for p in s.scalars(select(OrderParty).where(OrderParty.order_id == order.id))}
        views = {role: PartyView(role, p.name, p.phone, p.region_code,
                                 p.address) for role, p in parties.items()}
        if user_id is not None and order.owner_id == user_id:
            mine_as = "sender"
        elif phone_idx is not None and parties["recipient"].phone_bidx == phone_idx:
            mine_as = "recipient"
        elif phone_idx is not None and parties["sender"].phone_bidx == phone_idx:
            mine_as = "sender"
        else:
            mine_as = "staff"
        return OrderView(order.waybill_no, order.status, order.exception, order.service_type, order.payment_mode,
                         order.item_category, order.item_name, order.quantity, order.weight_g,
                         order.declared_value_fen, order.price_fen, views["sender"], views["recipient"], order.created_at, mine_as,
                         order.paid_at is not None, order.insurance_fen or 0, order.pickup_from, order.pickup_until, order.status_at,
                         placed_by_me=user_id is not None and order.owner_id == user_id)

    def reveal_address(self, user_id: uuid.UUID, waybill_no: str, role: str) -> str:
        """The sender's or the recipient's street address of an order in full, to the account that placed it only
        (anyone else, the recipient included, gets not-found): opened through privacy.open for self-service, which
        allows it to the parties' writer (OrderParty.written_by) and writes the audit record in this transaction."""
        if role not in ("sender", "recipient"):
            raise errors.not_found()
        with self.c.uow() as s:
            order = self._by_waybill(s, waybill_no)
            if order is None or order.owner_id is None or order.owner_id != user_id:
                raise errors.not_found()
            party = s.scalar(select(OrderParty).options(undefer(OrderParty.written_by))
                             .where(OrderParty.order_id == order.id, OrderParty.role == role))
            if party is None or party.address is None or not party.address.readable:
                raise errors.not_found()
            return privacy.open(party.address, for_=Purpose.SELF_SERVICE, actor=Actor(user_id, Role.CUSTOMER))

    def ship_again(self, user_id: uuid.UUID, waybill_no: str) -> dict[str, str]:
        """What "ship again" fills the ship page with, from one of my past orders: the address-book entries it was
        filled from (when they still exist: ids only), the item's category, weight, quantity, service and payment."""
        with self.c.uow() as s:
            order = self._by_waybill(s, waybill_no)
            if order is None or order.owner_id != user_id:
                raise errors.not_found()
            form = {"item_category": order.item_category, "quantity": str(order.quantity),
                    "weight_kg": f"{order.weight_g / 1000:g}", "service_type": order.service_type, "payment_mode": order.payment_mode}
            used = (("sender", order.sender_entry_id), ("recipient", order.recipient_entry_id))
        entries = {e.id for e in self.c.addressbook.list(user_id)}
        for role, entry_id in used:
            if entry_id is not None and entry_id in entries:
                form[f"{role}_entry"] = str(entry_id)
        return form

    def label_pdf(self, user_id: uuid.UUID, waybill_no: str, locale: str = DEFAULT_LOCALE) -> bytes:
        """The privacy waybill label (PDF) of an order, for its sender (the account that placed it) only.

        The parties' phone numbers and addresses are opened for delivery only to be masked with the label rules:
        the label is drawn from masked strings, and no full value reaches it.
        """
        from jidi.shipping import label  # noqa: PLC0415  (reportlab: only processes that print labels load it)

        with self.c.uow() as s:
            order = self._by_waybill(s, waybill_no)
            if order is None or order.owner_id != user_id:
                raise errors.not_found()
            if order.status == states.CANCELLED:
                raise errors.AppError("order_cancelled", N_("This order was cancelled: it has no waybill label."), 409)
            picked_up = s.scalar(select(PickupRecord.picked_up_at).where(PickupRecord.order_id == order.id))
            parties = {}
            for p in s.scalars(select(OrderParty).where(OrderParty.order_id == order.id)):
                phone = privacy.open(p.phone, for_=Purpose.DELIVERY, actor=Actor.system())
                address = privacy.open(p.address, for_=Purpose.DELIVERY, actor=Actor.system())
                parties[p.role] = label.LabelParty(p.name.masked, mask(Mask.PHONE_LABEL, phone),
                                                   p.region_code, mask(Mask.ADDRESS_LABEL, address))
            data = label.LabelData(
                order.waybill_no, f"{self.c.settings.base_url.rstrip('/')}/track/{order.waybill_no}", order.service_type,
                order.weight_g, order.origin_region, order.dest_region, picked_up or order.pickup_from or order.created_at,
                parties["sender"], parties["recipient"],
            )
        return label.render(data, gettext_for(locale))

    # -- changes --------------------------------------------------------------------------------------
    def _move(self, order: Order, new: str) -> None:
        if not states.can_move(order.status, new):
            raise errors.AppError("invalid_transition", N_("This change of status is not possible now."), 409)
        order.status, order.status_at, order.updated_at = new, self.c.clock(), self.c.clock()
        session = object_session(order)
        assert session is not None  # an order moves inside its unit of work
        announce_status(self.c, session, [(order.id, order.waybill_no, new, order.exception, order.status_at)])

    def cancel(self, user_id: uuid.UUID, waybill_no: str) -> int:
        """The sender cancels before pickup. A paid order is refunded in full, through the payment it was paid with
        (today the simulated one: a cancelled order with `paid_at` is a refunded one); returns the fen refunded.
        The route records the cancellation."""
        with self.c.uow() as s:
            order = self._by_waybill(s, waybill_no, lock=True)
            if order is None or order.owner_id != user_id:
                raise errors.not_found()
            if order.status not in states.CANCELLABLE:
                raise errors.order_not_cancellable()
            self._move(order, states.CANCELLED)
            self.c.tracking.record_courier_event(s, order_id=order.id, waybill_no=order.waybill_no, action=states.CANCELLED,
                                                 when=order.status_at, site_code="", site_name="")
            return refund_fen(order.status, order.paid_at is not None, order.price_fen)

    def correct_recipient(self, user_id: uuid.UUID, waybill_no: str, p: PartyIn) -> None:
        """The sender corrects the recipient's details until the parcel is picked up (JD-6.2.1, CN-8.1.2).

        The recipient's data is sealed under a fresh subject and the old one shredded: no copy of the wrong
        details stays readable. A new district may change the price: allowed while unpaid, refused once paid."""
        p = _checked_party(p)
        with self.c.uow() as s:
            order = self._by_waybill(s, waybill_no, lock=True)
            if order is None or order.owner_id != user_id:
                raise errors.not_found()
            if order.status not in states.CANCELLABLE:
                raise errors.AppError("order_not_correctable", N_("The parcel has been picked up: its recipient can no "
                                                                  "longer be changed here. Please contact customer service."), 409)
            quote = self.quote(order.origin_region, p.region_code, order.weight_g, order.service_type)
            if quote.price_fen != order.price_fen and order.paid_at is not None:
                raise errors.AppError("price_changes", N_("The new address changes the price of a paid order. Cancel the "
                                                          "order and ship again instead."), 409)
            party = s.scalar(select(OrderParty).where(OrderParty.order_id == order.id, OrderParty.role == "recipient"))
            old_subject = party.subject_id
            self._fill_party(party, p)
            s.flush()  # sealed under its new subject before the old one is shredded
            self.vault.shred_subject(s, old_subject, reason="corrected")
            order.dest_region, order.price_fen, order.updated_at = p.region_code, quote.price_fen, self.c.clock()
            self.c.audit.record(s, actor=Actor(user_id, Role.CUSTOMER), action="correct", subject_id=party.subject_id,
                              fields=["order_parties.name", "order_parties.phone", "order_parties.address"],
                              purpose=Purpose.SELF_SERVICE.value, detail="recipient corrected before pickup")

    def mark_paid(self, waybill_no: str) -> None:
        """Payment confirmed (the payment integration arrives with the payments feature)."""
        with self.c.uow() as s:
            order = self._by_waybill(s, waybill_no)
            if order is None:
                raise errors.not_found()
            if order.status != states.AWAITING_PAYMENT:
                raise errors.not_payable()
            order.paid_at = self.c.clock()
            self._move(order, states.AWAITING_PICKUP)

    # -- payments (jidi.payments takes them; these read and change only what an order says of its payment) ----------
    def payment_facts(self, s: Session, order_ids: set[uuid.UUID]) -> dict[uuid.UUID, PaymentFacts]:
        """The payment facts of these orders, in the caller's transaction."""
        if not order_ids:
            return {}
        rows = s.execute(select(Order.id, Order.waybill_no, Order.status, Order.payment_mode, Order.price_fen,
                                Order.paid_at.is_not(None), Order.owner_id, Order.merchant_id).where(Order.id.in_(order_ids)))
        return {row[0]: PaymentFacts(*row) for row in rows}

    def payment_facts_for(self, s: Session, user_id: uuid.UUID, waybill_no: str) -> PaymentFacts:
        """One order's payment facts, to its sender or recipient only (anyone else: not found)."""
        order = self._by_waybill(s, waybill_no)
        if order is None:
            raise errors.not_found()
        view = self._view(s, order, user_id, self._user_phone_index(s, user_id))
        if view.mine_as == "staff":
            raise errors.not_found()
        return PaymentFacts(order.id, order.waybill_no, order.status, order.payment_mode, order.price_fen, order.paid_at is not None,
                            order.owner_id, order.merchant_id, view.mine_as)

    def unpaid_for(self, user_id: uuid.UUID) -> list[PaymentFacts]:
        """What this account can pay now: its own unpaid pay-now and pay-later orders, and recipient-pays parcels
        addressed to its phone; delivered ones first, then the newest."""
        with self.c.uow() as s:
            me = self.c.accounts.phone_index_of(user_id)
            received = select(OrderParty.order_id).where(OrderParty.role == "recipient", OrderParty.phone_bidx == me)
            rows = s.execute(select(Order.id, Order.waybill_no, Order.status, Order.payment_mode, Order.price_fen, Order.owner_id,
                                    Order.merchant_id, Order.owner_id == user_id).where(
                Order.paid_at.is_(None), Order.status != states.CANCELLED,
                or_((Order.owner_id == user_id) & Order.payment_mode.in_(("pay_now", "pay_later")),
                    Order.id.in_(received) & (Order.payment_mode == "recipient_pays")))
                .order_by((Order.status == states.DELIVERED).desc(), Order.created_at.desc()).limit(200)).all()
        out = [PaymentFacts(r[0], r[1], r[2], r[3], r[4], False, r[5], r[6], "sender" if r[7] else "recipient") for r in rows]
        return [f for f in out if f.payable]

    @staticmethod
    def cancellation_fee_fen(price_fen: int) -> int:
        """What the tariff keeps of a paid order's price when its sender cancels it before pickup."""
        return min(price_fen, load().cancellation_fee_fen)

    def settle_payment(self, s: Session, order_id: uuid.UUID, when: dt.datetime) -> bool:
        """A payment of the order succeeded (its callback, in the caller's transaction): the order is marked paid and,
        waiting for payment, moves on to pickup. False when there was nothing to pay any more (paid by another
        payment, or cancelled): the payment is then returned by the caller."""
        order = s.scalar(select(Order).where(Order.id == order_id).with_for_update())
        if order is None or order.paid_at is not None or order.status == states.CANCELLED:
            return False
        order.paid_at = when
        if order.status == states.AWAITING_PAYMENT:
            self._move(order, states.AWAITING_PICKUP)
        else:
            order.updated_at = self.c.clock()
        return True

    # -- real-name pickup -----------------------------------------------------------------------------
    @staticmethod
    def _courier_only(actor: Actor) -> None:
        if actor.role is not Role.COURIER:
            raise errors.forbidden()

    def _locked_order(self, s: Session, waybill_no: str) -> Order:
        order = self._by_waybill(s, waybill_no, lock=True)
        if order is None:
            raise errors.not_found()
        return order

    def pickup_view(self, courier: Actor, waybill_no: str) -> PickupView:
        """A parcel as the courier at the door sees it: the sender masked, places at district level, the item's
        category and weight, and whether the sender's account has a verified identity (shown as such, never its
        values). No street address, no full number, no item description."""
        self._courier_only(courier)
        with self.c.uow() as s:
            order = self._by_waybill(s, waybill_no)
            if order is None:
                raise errors.not_found()
            sender = s.scalar(select(OrderParty).where(OrderParty.order_id == order.id, OrderParty.role == "sender"))
            verified = order.owner_id is not None and s.scalar(
                select(VerifiedIdentity.id).where(VerifiedIdentity.user_id == order.owner_id)) is not None
            return PickupView(
                order.waybill_no, order.status, order.exception, sender.name, sender.phone,
                order.origin_region, order.dest_region, order.item_category, order.quantity,
                order.weight_g, verified, order.status in PICKUP_FROM,
            )

    def pick_up(self, courier: Actor, waybill_no: str, id_type: str | None = None, id_number: str | None = None,
                real_name: str | None = None, *, site_code: str | None = None, site_name: str | None = None) -> PickupOutcome:
        """A courier picks the parcel up after checking the sender's identity (快递暂行条例 art. 22, JD-1.1.2(6)b).

        An account already verified reuses its identity; otherwise the courier records it, and it becomes the
        account's verified identity. Without an identity the parcel is not accepted (`refuse_pickup`). Only name,
        address and phone ever appear on the waybill itself.

        In the same transaction, the route gets a "picked_up" event at the courier's site (by default the pickup
        station of the origin district) through the tracking service, which queues the route SMS to the sender and
        the recipient after the commit, as for scanned events. A retry by the same courier of a pickup already
        recorded changes nothing and answers the same (`repeated`) if it names the ID recorded (or none, when the
        account has a verified identity): a different one is refused and audited
        (`pickup_identity_mismatch`), and the recorded one is never shown. Any other state is a 409.
        """
        self._courier_only(courier)
        if (site_code is None) != (site_name is None):
            raise errors.invalid_field(N_("site (code and name together)"))
        with self.c.uow() as s:
            order = self._locked_order(s, waybill_no)
            done = s.scalar(select(PickupRecord).where(PickupRecord.order_id == order.id)) if order.status in states.FULFILMENT else None
            if done is None or done.courier_id != courier.user_id:
                return self._record_pickup(s, courier, order, id_type, id_number, real_name, site_code, site_name)
            if self._same_identity(s, order, done, id_type, id_number):
                return PickupOutcome(order.waybill_no, order.status, done.reused_identity, done.picked_up_at, True)
            # The refusal is audited: this record commits with the transaction, and the error is raised after it.
            self.c.audit.record(s, actor=courier, action="pickup_identity_mismatch", subject_id=done.subject_id,
                              fields=["pickup_records.id_number"], purpose=Purpose.DELIVERY.value)
        raise errors.pickup_identity_mismatch()

    def _same_identity(self, s: Session, order: Order, done: PickupRecord, id_type: str | None, id_number: str | None) -> bool:
        """Whether a retried pickup names the identity recorded: the same ID type and number (compared by the vault,
        never shown), or none when the account has a verified identity, as a first pickup would reuse it."""
        if not id_number:
            return order.owner_id is not None and s.scalar(
                select(VerifiedIdentity.id).where(VerifiedIdentity.user_id == order.owner_id)) is not None
        id_type, number = values.id_number(id_type, id_number)
        return id_type == done.id_type and self.vault.matches(done, "id_number", number)

    def _record_pickup(self, s: Session, courier: Actor, order: Order, id_type: str | None, id_number: str | None,
                       real_name: str | None, site_code: str | None, site_name: str | None) -> PickupOutcome:
        if order.status not in PICKUP_FROM:
            raise errors.pickup_not_allowed()
        verified = s.scalar(select(VerifiedIdentity).where(VerifiedIdentity.user_id == order.owner_id)) if order.owner_id else None
        now = self.c.clock()
        record = PickupRecord(id=uuid.uuid4(), order_id=order.id, courier_id=courier.user_id, picked_up_at=now,
                              reused_identity=False)
        if not id_number and verified is not None:
            record.id_type = verified.id_type
            number, name = verified.id_number, verified.real_name  # sealed again under the record's own subject
            record.reused_identity = True
        else:
            if not (id_type and id_number and real_name):
                raise errors.identity_required()
            id_type, number = values.id_number(id_type, id_number)
            name = values.text(real_name, 40, N_("legal name"))
            record.id_type = id_type
            if order.owner_id and verified is None:
                verified = VerifiedIdentity(id=uuid.uuid4(), user_id=order.owner_id, id_type=id_type, verified_by=courier.user_id,
                                            verified_at=now)
                verified.id_number = number
                verified.real_name = name
                s.add(verified)
        record.id_number = number
        record.real_name = name
        s.add(record)
        order.exception = None  # before the moves, which announce the status with its exception
        if order.status == states.NOT_ACCEPTED:
            self._move(order, states.AWAITING_PICKUP)  # the sender shows the ID this time
        self._move(order, states.PICKED_UP)
        if site_code is None:
            site_code, site_name = pickup_site(order.origin_region)
        self.c.tracking.record_courier_event(s, order_id=order.id, waybill_no=order.waybill_no, action=states.PICKED_UP,
                                             when=now, site_code=site_code, site_name=site_name)
        return PickupOutcome(order.waybill_no, order.status, record.reused_identity, now, False)

    def refuse_pickup(self, courier: Actor, waybill_no: str, reason: str = "id_not_shown") -> str:
        """The sender would not show an ID: the parcel is not accepted (快递暂行条例 art. 22). The order becomes
        `not_accepted` with the reason, and the courier's decision is written to the audit log; the order does not
        enter the network (no route event, no route SMS) until a later real-name pickup. Returns the status."""
        self._courier_only(courier)
        if reason not in states.NOT_ACCEPTED_REASONS:
            raise errors.invalid_field(N_("reason"))
        with self.c.uow() as s:
            order = self._locked_order(s, waybill_no)
            if order.status == states.NOT_ACCEPTED and order.exception == reason:
                return order.status  # recorded already: a retry changes nothing
            if order.status not in PICKUP_FROM:
                raise errors.pickup_not_allowed()
            order.exception = reason  # before the move, which announces the status with its exception
            if order.status != states.NOT_ACCEPTED:
                self._move(order, states.NOT_ACCEPTED)
            self.c.audit.record(s, actor=courier, action="pickup_not_accepted", subject_id=order.subject_id, detail=reason)
            return order.status

