"""Payment providers, in the shapes of the real gateways. jidi's side of each (the merchant's client) is here; the
providers' side in this build is jidi.payments.simulator, which answers these requests exactly as the gateway would.

* Alipay-style (`AlipayGateway`): every request is a set of form parameters signed with RSA2 (RSA-SHA256 over the
  parameters sorted by name, `k=v` joined by `&`, without `sign`, empty values left out); the payer's browser is sent
  to the gateway with the signed page-pay request; the result comes back as an asynchronous notify (form
  parameters signed the same way with the gateway's key, answered with the text `success`).
* WeChat Pay v3-style (`WechatPayGateway`): JSON requests with an `Authorization: WECHATPAY2-SHA256-RSA2048 …` header
  signing "METHOD\\nPATH\\ntimestamp\\nnonce\\nbody\\n"; answers and callbacks carry `Wechatpay-Timestamp`,
  `-Nonce`, `-Signature`, `-Serial` headers, the signature over "timestamp\\nnonce\\nbody\\n" with the platform key;
  the callback's `resource` is AES-256-GCM encrypted under the APIv3 key. Pay Score (先寄后付): only whether the
  check passed and the authorisation state are fetched (JD-1.1.2(5)b); the charge after delivery is a service order
  completed later, its result a callback like a payment's.

A request carries the payment serial (out_trade_no), the order number (the waybill number, in the subject) and the
amount: nothing about a person (JD-1.1.2(5)a, ZK-1.1.3a). A real adapter implements `Gateway` with a transport that
speaks HTTPS to the provider; orders never see which one is used.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import secrets
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Protocol
from urllib.parse import parse_qsl, urlencode

from jidi.payments import crypto

CHINA = dt.timezone(dt.timedelta(hours=8))
# method, url, headers, body -> status, headers, body: HTTPS to the provider (a real adapter) or the simulator.
Transport = Callable[[str, str, Mapping[str, str], bytes], tuple[int, dict[str, str], bytes]]


class InvalidCallback(ValueError):
    """A callback (or an answer) whose signature, time, encryption or fields do not check: refused, nothing applied."""


@dataclasses.dataclass(frozen=True)
class PayRequest:
    """All a provider is told about a payment: its serial, the order number and the amount."""

    serial: str
    order_no: str
    amount_fen: int
    currency: str = "CNY"

    @property
    def subject(self) -> str:
        return f"jidi 运费 {self.order_no}"


@dataclasses.dataclass(frozen=True)
class Notice:
    """What a provider says happened to one of our serials (a callback, or the answer to a query)."""

    serial: str                 # our payment or refund serial
    kind: str                   # payment | refund
    state: str                  # paid | failed | closed | refunded | pending
    amount_fen: int
    currency: str
    trade_no: str = ""          # the provider's own serial
    card: str = ""              # the bank-card identifier the payer used, if any (JD-1.2.6)
    notify_id: str = ""


@dataclasses.dataclass(frozen=True)
class ScoreCheck:
    """Pay Score's answer, and all jidi keeps of it: passed or not, and the authorisation state (JD-1.1.2(5)b)."""

    passed: bool
    state: str  # AVAILABLE | UNAVAILABLE


class Gateway(Protocol):
    name: str

    def start(self, req: PayRequest, notify_url: str, return_url: str) -> str:
        """Create the payment at the provider; returns where the payer confirms it."""

    def parse_notify(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> Notice:
        """A callback's verified content; InvalidCallback otherwise."""

    def ack(self) -> tuple[int, str, str]:
        """(status, media type, body) that tells the provider a callback was taken."""

    def query(self, serial: str) -> Notice | None:
        """The provider's state of a payment (None: it does not know the serial)."""

    def close(self, serial: str) -> None: ...

    def refund(self, serial: str, refund_serial: str, amount_fen: int, total_fen: int, notify_url: str) -> None: ...


def yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def fen(amount: str) -> int:
    try:
        value = Decimal(amount) * 100
    except ArithmeticError as exc:
        raise InvalidCallback("amount is not a number") from exc
    if value != value.to_integral_value() or value < 0:
        raise InvalidCallback("amount is not a whole number of fen")
    return int(value)


# -- Alipay-style ----------------------------------------------------------------------------------------------
def alipay_content(params: Mapping[str, str], *, notify: bool = False) -> bytes:
    """The signed string: parameters sorted by name, without the signature (and, for a notify, its type)."""
    skip = {"sign", "sign_type"} if notify else {"sign"}
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k not in skip and v != "").encode()


ALIPAY_STATES = {"TRADE_SUCCESS": "paid", "TRADE_FINISHED": "paid", "TRADE_CLOSED": "closed", "WAIT_BUYER_PAY": "pending"}


class AlipayGateway:
    name = "alipay"

    def __init__(self, app_id: str, merchant_private_pem: str, alipay_public_pem: str, gateway_url: str, transport: Transport,
                 clock: Callable[[], dt.datetime]):
        self.app_id, self.gateway_url, self.transport, self.clock = app_id, gateway_url, transport, clock
        self._signer, self._verifier = crypto.Signer(merchant_private_pem), crypto.Verifier(alipay_public_pem)

    def signed(self, method: str, biz: dict, **extra: str) -> dict[str, str]:
        params = {"app_id": self.app_id, "method": method, "format": "JSON", "charset": "utf-8", "sign_type": "RSA2",
                  "timestamp": self.clock().astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S"), "version": "1.0",
                  "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":")), **extra}
        params["sign"] = self._signer.sign(alipay_content(params))
        return params

    def start(self, req: PayRequest, notify_url: str, return_url: str) -> str:
        params = self.signed("alipay.trade.page.pay", {
            "out_trade_no": req.serial, "total_amount": yuan(req.amount_fen), "subject": req.subject,
            "product_code": "FAST_INSTANT_TRADE_PAY", "timeout_express": "30m"}, notify_url=notify_url, return_url=return_url)
        return f"{self.gateway_url}?{urlencode(params)}"

    def parse_notify(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> Notice:
        try:
            params = dict(parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError) as exc:
            raise InvalidCallback("not a form") from exc
        try:
            self._verifier.verify(alipay_content(params, notify=True), params.get("sign", ""))
        except crypto.BadSignature as exc:
            raise InvalidCallback("signature") from exc
        if params.get("app_id") != self.app_id or params.get("sign_type") != "RSA2":
            raise InvalidCallback("not for this merchant")
        try:
            serial, status = params["out_trade_no"], params["trade_status"]
            total = fen(params["total_amount"])
        except KeyError as exc:
            raise InvalidCallback("missing field") from exc
        currency = params.get("trans_currency") or "CNY"
        if params.get("out_biz_no"):  # a refund's notify: the refund request's serial and the amount refunded
            return Notice(params["out_biz_no"], "refund", "refunded", fen(params.get("refund_fee", "")), currency,
                          params.get("trade_no", ""), notify_id=params.get("notify_id", ""))
        if status not in ALIPAY_STATES:
            raise InvalidCallback("unknown state")
        return Notice(serial, "payment", ALIPAY_STATES[status], total, currency, params.get("trade_no", ""),
                      params.get("fund_channel", ""), params.get("notify_id", ""))

    def ack(self) -> tuple[int, str, str]:
        return 200, "text/plain", "success"

    def _call(self, method: str, biz: dict) -> dict:
        params = self.signed(method, biz)
        status, _, body = self.transport("POST", self.gateway_url, {"Content-Type": "application/x-www-form-urlencoded"},
                                         urlencode(params).encode())
        answer = json.loads(body)
        node_name = method.replace(".", "_") + "_response"
        node = answer.get(node_name, {})
        try:
            self._verifier.verify(json.dumps(node, ensure_ascii=False, separators=(",", ":")).encode(), answer.get("sign", ""))
        except crypto.BadSignature as exc:
            raise InvalidCallback("answer signature") from exc
        return node

    def query(self, serial: str) -> Notice | None:
        node = self._call("alipay.trade.query", {"out_trade_no": serial})
        if node.get("code") != "10000":
            return None
        return Notice(serial, "payment", ALIPAY_STATES.get(node.get("trade_status", ""), "pending"), fen(node["total_amount"]),
                      "CNY", node.get("trade_no", ""), node.get("fund_channel", ""))

    def close(self, serial: str) -> None:
        self._call("alipay.trade.close", {"out_trade_no": serial})

    def refund(self, serial: str, refund_serial: str, amount_fen: int, total_fen: int, notify_url: str) -> None:
        node = self._call("alipay.trade.refund", {"out_trade_no": serial, "out_request_no": refund_serial,
                                                  "refund_amount": yuan(amount_fen), "notify_url": notify_url})
        if node.get("code") != "10000":
            raise InvalidCallback(node.get("sub_code", "refund refused"))


# -- WeChat Pay v3-style -----------------------------------------------------------------------------------------
WECHAT_STATES = {"SUCCESS": "paid", "CLOSED": "closed", "PAYERROR": "failed", "NOTPAY": "pending", "USERPAYING": "pending",
                 "REFUND": "paid", "REVOKED": "closed"}
CALLBACK_WINDOW = dt.timedelta(minutes=5)


def wechat_message(*parts: str) -> bytes:
    return "".join(p + "\n" for p in parts).encode()


class WechatPayGateway:
    name = "wechat"

    def __init__(self, mchid: str, appid: str, merchant_private_pem: str, merchant_serial: str, platform_public_pem: str,
                 platform_serial: str, apiv3_key: bytes, base_url: str, transport: Transport, clock: Callable[[], dt.datetime]):
        self.mchid, self.appid, self.merchant_serial, self.platform_serial = mchid, appid, merchant_serial, platform_serial
        self.apiv3_key, self.base_url, self.transport, self.clock = apiv3_key, base_url.rstrip("/"), transport, clock
        self._signer, self._verifier = crypto.Signer(merchant_private_pem), crypto.Verifier(platform_public_pem)

    def authorization(self, method: str, path: str, body: str) -> str:
        ts, nonce = str(int(self.clock().timestamp())), secrets.token_hex(16)
        signature = self._signer.sign(wechat_message(method, path, ts, nonce, body))
        return (f'WECHATPAY2-SHA256-RSA2048 mchid="{self.mchid}",nonce_str="{nonce}",signature="{signature}",'
                f'timestamp="{ts}",serial_no="{self.merchant_serial}"')

    def _verified(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> None:
        h = {k.lower(): v for k, v in headers.items()}
        ts, nonce, signature = h.get("wechatpay-timestamp", ""), h.get("wechatpay-nonce", ""), h.get("wechatpay-signature", "")
        if h.get("wechatpay-serial") != self.platform_serial or not ts.isdigit():
            raise InvalidCallback("unknown platform certificate")
        if abs(now.timestamp() - int(ts[:12])) > CALLBACK_WINDOW.total_seconds():
            raise InvalidCallback("stale timestamp")  # a replay of an old callback
        try:
            self._verifier.verify(wechat_message(ts, nonce, body.decode()), signature)
        except (crypto.BadSignature, UnicodeDecodeError) as exc:
            raise InvalidCallback("signature") from exc

    def _call(self, method: str, path: str, payload: dict | None = None) -> tuple[int, dict]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload is not None else ""
        status, headers, answer = self.transport(method, self.base_url + path, {
            "Authorization": self.authorization(method, path, body), "Content-Type": "application/json",
            "Accept": "application/json"}, body.encode())
        self._verified(headers, answer, self.clock())
        return status, (json.loads(answer) if answer else {})

    def start(self, req: PayRequest, notify_url: str, return_url: str) -> str:
        status, answer = self._call("POST", "/v3/pay/transactions/native", {
            "appid": self.appid, "mchid": self.mchid, "description": req.subject, "out_trade_no": req.serial,
            "notify_url": notify_url, "amount": {"total": req.amount_fen, "currency": req.currency}})
        if status != 200 or "code_url" not in answer:
            raise InvalidCallback(answer.get("code", "start refused"))
        return answer["code_url"]

    def parse_notify(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> Notice:
        self._verified(headers, body, now)
        try:
            envelope = json.loads(body)
            res = envelope["resource"]
            if res.get("algorithm") != "AEAD_AES_256_GCM":
                raise InvalidCallback("algorithm")
            plain = json.loads(crypto.gcm_decrypt(self.apiv3_key, res["nonce"].encode(), res.get("associated_data", "").encode(),
                                                  res["ciphertext"]))
            event = envelope["event_type"]
            if event.startswith("REFUND."):
                amount = plain["amount"]
                return Notice(plain["out_refund_no"], "refund", "refunded" if plain["refund_status"] == "SUCCESS" else "failed",
                              int(amount["refund"]), amount.get("currency", "CNY"), plain.get("refund_id", ""),
                              notify_id=envelope.get("id", ""))
            if plain.get("mchid") != self.mchid:
                raise InvalidCallback("not for this merchant")
            amount = plain["amount"]
            return Notice(plain["out_trade_no"], "payment", WECHAT_STATES.get(plain["trade_state"], "pending"), int(amount["total"]),
                          amount.get("currency", ""), plain.get("transaction_id", ""), plain.get("bank_type", ""),
                          envelope.get("id", ""))
        except crypto.BadSignature as exc:
            raise InvalidCallback("resource") from exc
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidCallback("malformed") from exc

    def ack(self) -> tuple[int, str, str]:
        return 200, "application/json", '{"code":"SUCCESS","message":"成功"}'

    def query(self, serial: str) -> Notice | None:
        status, a = self._call("GET", f"/v3/pay/transactions/out-trade-no/{serial}?mchid={self.mchid}")
        if status == 404:
            return None
        return Notice(serial, "payment", WECHAT_STATES.get(a["trade_state"], "pending"), int(a["amount"]["total"]),
                      a["amount"].get("currency", "CNY"), a.get("transaction_id", ""), a.get("bank_type", ""))

    def close(self, serial: str) -> None:
        self._call("POST", f"/v3/pay/transactions/out-trade-no/{serial}/close", {"mchid": self.mchid})

    def refund(self, serial: str, refund_serial: str, amount_fen: int, total_fen: int, notify_url: str) -> None:
        status, a = self._call("POST", "/v3/refund/domestic/refunds", {
            "out_trade_no": serial, "out_refund_no": refund_serial, "notify_url": notify_url,
            "amount": {"refund": amount_fen, "total": total_fen, "currency": "CNY"}})
        if status != 200:
            raise InvalidCallback(a.get("code", "refund refused"))

    # -- Pay Score (先寄后付) -----------------------------------------------------------------------------------
    def score_check(self, authorization_code: str) -> ScoreCheck:
        """Whether the Pay Score assessment passed and the authorisation state: nothing else is asked for or kept."""
        _, a = self._call("GET", f"/v3/payscore/permissions/authorization-code/{authorization_code}?service_id=jidi")
        return ScoreCheck(bool(a.get("risk_passed")), a.get("authorization_state", "UNAVAILABLE"))

    def score_charge(self, authorization_code: str, serial: str, order_no: str, amount_fen: int, notify_url: str) -> None:
        """Complete the service order after delivery: the provider deducts and calls back like a payment."""
        status, a = self._call("POST", f"/v3/payscore/serviceorder/{serial}/complete", {
            "appid": self.appid, "service_id": "jidi", "authorization_code": authorization_code, "notify_url": notify_url,
            "total_amount": amount_fen, "post_payments": [{"name": f"jidi 运费 {order_no}", "amount": amount_fen}]})
        if status != 200:
            raise InvalidCallback(a.get("code", "charge refused"))
