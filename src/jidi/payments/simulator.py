"""The payment providers' side, simulated: an Alipay-style gateway and a WeChat Pay v3-style one, each with its own
keys (generated once into var/payment-simulator.json, mode 0600), answering jidi's signed requests as the real
gateway would — checking jidi's signature with jidi's public key, signing its answers and callbacks with its own key,
encrypting WeChat's callback resource under the APIv3 key — and a page where the payer confirms (/sim/…).

What a payer can do on the simulator's page: pay; pay while the callback is lost (the query job finds the payment);
pay with the callback sent twice; or leave (the payment is closed when it expires). Pay Score authorisations can be
granted, refused, or granted with charges that fail (a debt). Callbacks are delivered by `deliver(provider, headers,
body)`: by default straight to jidi's callback handler, the same code the HTTP callback routes run.
"""
from __future__ import annotations

import functools
import json
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from sqlalchemy import select

from jidi.payments import crypto
from jidi.payments.gateways import CHINA, alipay_content, fen, wechat_message, yuan
from jidi.payments.models import SimTrade

Deliver = Callable[[str, dict[str, str], bytes], object]


@functools.cache
def _generated() -> dict[str, str]:
    keys = {name: crypto.new_private_key_pem() for name in ("alipay_merchant", "alipay_platform", "wechat_merchant", "wechat_platform")}
    keys["wechat_apiv3"] = secrets.token_hex(16)  # 32 ASCII characters: the APIv3 key
    return keys


def simulator_keys(var_dir: Path) -> dict[str, str]:
    """The simulator's keys and jidi's merchant keys for it: made once per var/ (every process of a host shares them)."""
    path = var_dir / "payment-simulator.json"
    if not path.exists():
        var_dir.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                json.dump(_generated(), fh)
    return json.loads(path.read_text())


class _Sim:
    provider = ""

    def __init__(self, container, deliver: Deliver | None):
        self.c = container
        self.deliver = deliver

    def _trade(self, s, kind: str, serial: str) -> SimTrade | None:
        return s.scalar(select(SimTrade).where(SimTrade.provider == self.provider, SimTrade.kind == kind, SimTrade.serial == serial))

    def _new(self, s, kind: str, serial: str, amount_fen: int, state: str, notify_url: str = "", parent: str | None = None) -> SimTrade:
        now = self.c.clock()
        t = SimTrade(provider=self.provider, kind=kind, serial=serial, parent_serial=parent, amount_fen=amount_fen, state=state,
                     trade_no=now.astimezone(CHINA).strftime("%Y%m%d") + secrets.token_hex(8), notify_url=notify_url,
                     created_at=now, updated_at=now)
        s.add(t)
        return t

    def _send(self, headers: dict[str, str], body: bytes, times: int = 1) -> None:
        for _ in range(times):
            if self.deliver is not None:
                self.deliver(self.provider, headers, body)

    def trade_view(self, serial: str) -> dict | None:
        with self.c.uow() as s:
            t = self._trade(s, "trade", serial)
            return None if t is None else {"serial": t.serial, "amount_fen": t.amount_fen, "state": t.state}

    def confirm(self, serial: str, outcome: str) -> None:
        """The payer's choice on the simulator's page: pay | lost | twice | leave."""
        with self.c.uow() as s:
            t = self._trade(s, "trade", serial)
            if t is None or outcome == "leave" or t.state not in ("WAIT", "NOTPAY", "WAIT_BUYER_PAY"):
                return
            t.state, t.updated_at = self.PAID, self.c.clock()
            notify = self.payment_notify(t)
        if outcome != "lost":
            self._send(*notify, times=2 if outcome == "twice" else 1)

    PAID = ""

    def payment_notify(self, t: SimTrade) -> tuple[dict[str, str], bytes]:
        raise NotImplementedError


# -- Alipay-style -----------------------------------------------------------------------------------------------
class AlipaySimulator(_Sim):
    provider = "alipay"
    PAID = "TRADE_SUCCESS"
    CARD = "BANKCARD:CMB_DEBIT 尾号0421"

    def __init__(self, container, keys: Mapping[str, str], app_id: str, deliver: Deliver | None = None):
        super().__init__(container, deliver)
        self.app_id = app_id
        self._signer = crypto.Signer(keys["alipay_platform"])
        self._merchant = crypto.Verifier(crypto.public_pem(keys["alipay_merchant"]))

    def _check(self, params: Mapping[str, str]) -> dict:
        self._merchant.verify(alipay_content(params), params.get("sign", ""))
        if params.get("app_id") != self.app_id:
            raise crypto.BadSignature("app_id")
        return json.loads(params["biz_content"])

    def page(self, query: str) -> dict:
        """The payer arrives with jidi's signed page-pay request: checked, the trade opened; what the page shows."""
        params = dict(parse_qsl(query, keep_blank_values=True))
        biz = self._check(params)
        with self.c.uow() as s:
            t = self._trade(s, "trade", biz["out_trade_no"])
            if t is None:
                t = self._new(s, "trade", biz["out_trade_no"], fen(biz["total_amount"]), "WAIT_BUYER_PAY", params["notify_url"])
            return {"serial": t.serial, "amount_fen": t.amount_fen, "state": t.state, "subject": biz["subject"],
                    "return_url": params.get("return_url", "")}

    def _notify(self, fields: dict[str, str]) -> tuple[dict[str, str], bytes]:
        from urllib.parse import urlencode  # noqa: PLC0415

        now = self.c.clock().astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
        params = {"notify_time": now, "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(16), "app_id": self.app_id,
                  "charset": "utf-8", "version": "1.0", "sign_type": "RSA2", **fields}
        params["sign"] = self._signer.sign(alipay_content(params, notify=True))
        return {"Content-Type": "application/x-www-form-urlencoded"}, urlencode(params).encode()

    def payment_notify(self, t: SimTrade) -> tuple[dict[str, str], bytes]:
        return self._notify({"out_trade_no": t.serial, "trade_no": t.trade_no, "trade_status": t.state,
                             "total_amount": yuan(t.amount_fen), "receipt_amount": yuan(t.amount_fen), "fund_channel": self.CARD,
                             "gmt_payment": self.c.clock().astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")})

    def _answer(self, method: str, node: dict) -> tuple[int, dict[str, str], bytes]:
        text = json.dumps(node, ensure_ascii=False, separators=(",", ":"))
        body = {method.replace(".", "_") + "_response": node, "sign": self._signer.sign(text.encode())}
        return 200, {"Content-Type": "application/json"}, json.dumps(body, ensure_ascii=False).encode()

    def transport(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """The gateway's API: alipay.trade.query, .close and .refund, as signed form posts."""
        params = dict(parse_qsl(body.decode(), keep_blank_values=True))
        api = params.get("method", "")
        try:
            biz = self._check(params)
        except (crypto.BadSignature, KeyError, ValueError):
            return self._answer(api, {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-signature"})
        notify = None
        with self.c.uow() as s:
            t = self._trade(s, "trade", biz.get("out_trade_no", ""))
            if t is None:
                return self._answer(api, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_NOT_EXIST"})
            if api == "alipay.trade.query":
                return self._answer(api, {"code": "10000", "msg": "Success", "out_trade_no": t.serial, "trade_no": t.trade_no,
                                          "trade_status": t.state, "total_amount": yuan(t.amount_fen),
                                          **({"fund_channel": self.CARD} if t.state == self.PAID else {})})
            if api == "alipay.trade.close":
                if t.state == "WAIT_BUYER_PAY":
                    t.state, t.updated_at = "TRADE_CLOSED", self.c.clock()
                    return self._answer(api, {"code": "10000", "msg": "Success", "out_trade_no": t.serial})
                return self._answer(api, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.TRADE_STATUS_ERROR"})
            if api == "alipay.trade.refund":
                amount = fen(biz["refund_amount"])
                done = sum(r.amount_fen for r in s.scalars(select(SimTrade).where(
                    SimTrade.provider == self.provider, SimTrade.kind == "refund", SimTrade.parent_serial == t.serial)))
                existing = self._trade(s, "refund", biz["out_request_no"])
                if existing is None:
                    if t.state != self.PAID or done + amount > t.amount_fen:
                        return self._answer(api, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL"})
                    self._new(s, "refund", biz["out_request_no"], amount, "REFUND_SUCCESS", biz.get("notify_url", ""), t.serial)
                    done += amount
                notify = self._notify({"out_trade_no": t.serial, "trade_no": t.trade_no, "out_biz_no": biz["out_request_no"],
                                       "trade_status": "TRADE_CLOSED" if done >= t.amount_fen else "TRADE_SUCCESS",
                                       "total_amount": yuan(t.amount_fen), "refund_fee": yuan(amount)})
                answer = self._answer(api, {"code": "10000", "msg": "Success", "out_trade_no": t.serial, "fund_change": "Y",
                                            "refund_fee": yuan(done)})
        if notify is not None:
            self._send(*notify)
            return answer
        return self._answer(api, {"code": "40004", "msg": "Business Failed", "sub_code": "ACQ.METHOD_NOT_SUPPORTED"})


# -- WeChat Pay v3-style ----------------------------------------------------------------------------------------
class WechatSimulator(_Sim):
    provider = "wechat"
    PAID = "SUCCESS"
    BANK = "CMB_DEBIT"

    def __init__(self, container, keys: Mapping[str, str], mchid: str, merchant_serial: str, platform_serial: str, base_url: str,
                 deliver: Deliver | None = None):
        super().__init__(container, deliver)
        self.mchid, self.merchant_serial, self.platform_serial, self.base_url = mchid, merchant_serial, platform_serial, base_url
        self._signer = crypto.Signer(keys["wechat_platform"])
        self._merchant = crypto.Verifier(crypto.public_pem(keys["wechat_merchant"]))
        self._apiv3 = keys["wechat_apiv3"].encode()

    def _signed(self, status: int, payload: dict | None) -> tuple[int, dict[str, str], bytes]:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")) if payload is not None else ""
        ts, nonce = str(int(self.c.clock().timestamp())), secrets.token_hex(16)
        return status, {"Wechatpay-Timestamp": ts, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": self.platform_serial,
                        "Wechatpay-Signature": self._signer.sign(wechat_message(ts, nonce, body)),
                        "Content-Type": "application/json"}, body.encode()

    def callback(self, event_type: str, resource: dict) -> tuple[dict[str, str], bytes]:
        nonce = secrets.token_hex(6)  # 12 characters
        associated = "transaction" if event_type.startswith("TRANSACTION") else "refund"
        plaintext = json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode()
        envelope = {"id": secrets.token_hex(16), "create_time": self.c.clock().astimezone(CHINA).isoformat(timespec="seconds"),
                    "resource_type": "encrypt-resource", "event_type": event_type, "summary": "支付成功",
                    "resource": {"original_type": associated, "algorithm": "AEAD_AES_256_GCM", "associated_data": associated,
                                 "nonce": nonce, "ciphertext": crypto.gcm_encrypt(self._apiv3, nonce.encode(), associated.encode(), plaintext)}}
        _, headers, body = self._signed(200, envelope)
        return headers, body

    def _transaction(self, t: SimTrade) -> dict:
        out = {"mchid": self.mchid, "appid": "wxd930ea5d5a258f4f", "out_trade_no": t.serial, "transaction_id": t.trade_no,
               "trade_type": "NATIVE", "trade_state": t.state, "amount": {"total": t.amount_fen, "currency": "CNY",
                                                                           "payer_total": t.amount_fen, "payer_currency": "CNY"}}
        if t.state == self.PAID:
            out |= {"bank_type": self.BANK, "success_time": t.updated_at.astimezone(CHINA).isoformat(timespec="seconds")}
        return out

    def payment_notify(self, t: SimTrade) -> tuple[dict[str, str], bytes]:
        return self.callback("TRANSACTION.SUCCESS" if t.state == self.PAID else "TRANSACTION.PAYERROR", self._transaction(t))

    def _authorised(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> bool:
        auth = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        if not auth.startswith("WECHATPAY2-SHA256-RSA2048 "):
            return False
        fields = dict(part.split("=", 1) for part in auth.split(" ", 1)[1].split(","))
        fields = {k: v.strip('"') for k, v in fields.items()}
        if fields.get("mchid") != self.mchid or fields.get("serial_no") != self.merchant_serial:
            return False
        try:
            self._merchant.verify(wechat_message(method, path, fields["timestamp"], fields["nonce_str"], body.decode()), fields["signature"])
        except (crypto.BadSignature, KeyError):
            return False
        return abs(int(fields["timestamp"]) - self.c.clock().timestamp()) <= 300

    def transport(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if not self._authorised(method, path, headers, body):
            return self._signed(401, {"code": "SIGN_ERROR", "message": "签名错误"})
        payload = json.loads(body) if body else {}
        segments = parts.path.strip("/").split("/")
        after: tuple[dict[str, str], bytes] | None = None
        with self.c.uow() as s:
            if parts.path == "/v3/pay/transactions/native":
                if payload.get("amount", {}).get("currency") != "CNY":
                    return self._signed(400, {"code": "PARAM_ERROR", "message": "currency"})
                t = self._trade(s, "trade", payload["out_trade_no"])
                if t is None:
                    t = self._new(s, "trade", payload["out_trade_no"], int(payload["amount"]["total"]), "NOTPAY", payload["notify_url"])
                return self._signed(200, {"code_url": f"{self.base_url}/sim/wechat/pay/{t.serial}"})
            if segments[:4] == ["v3", "pay", "transactions", "out-trade-no"]:
                t = self._trade(s, "trade", segments[4])
                if t is None:
                    return self._signed(404, {"code": "ORDER_NOT_EXIST", "message": "订单不存在"})
                if segments[-1] == "close":
                    if t.state == "NOTPAY":
                        t.state, t.updated_at = "CLOSED", self.c.clock()
                        return self._signed(204, None)
                    return self._signed(400, {"code": "ORDERPAID", "message": "订单已支付"})
                return self._signed(200, self._transaction(t))
            if parts.path == "/v3/refund/domestic/refunds":
                t = self._trade(s, "trade", payload["out_trade_no"])
                amount = int(payload["amount"]["refund"])
                done = sum(r.amount_fen for r in s.scalars(select(SimTrade).where(
                    SimTrade.provider == self.provider, SimTrade.kind == "refund", SimTrade.parent_serial == payload["out_trade_no"])))
                r = self._trade(s, "refund", payload["out_refund_no"])
                if r is None:
                    if t is None or t.state != self.PAID or done + amount > t.amount_fen:
                        return self._signed(400, {"code": "INVALID_REQUEST", "message": "退款金额超过订单金额"})
                    r = self._new(s, "refund", payload["out_refund_no"], amount, "SUCCESS", payload.get("notify_url", ""), t.serial)
                after = self.callback("REFUND.SUCCESS", {
                    "mchid": self.mchid, "out_trade_no": r.parent_serial, "transaction_id": t.trade_no if t else "",
                    "out_refund_no": r.serial, "refund_id": r.trade_no, "refund_status": "SUCCESS",
                    "amount": {"total": t.amount_fen if t else 0, "refund": r.amount_fen, "currency": "CNY"}})
                answer = self._signed(200, {"refund_id": r.trade_no, "out_refund_no": r.serial, "status": "PROCESSING"})
            elif segments[:4] == ["v3", "payscore", "permissions", "authorization-code"]:
                a = self._trade(s, "score_auth", segments[4])
                state = a.state if a is not None else "UNAVAILABLE"
                return self._signed(200, {"authorization_state": "AVAILABLE" if state in ("AVAILABLE", "FAILING") else "UNAVAILABLE",
                                          "risk_passed": state in ("AVAILABLE", "FAILING")})
            elif segments[:3] == ["v3", "payscore", "serviceorder"] and segments[-1] == "complete":
                a = self._trade(s, "score_auth", payload.get("authorization_code", ""))
                if a is None or a.state not in ("AVAILABLE", "FAILING"):
                    return self._signed(403, {"code": "NO_AUTH", "message": "用户未授权"})
                t = self._trade(s, "trade", segments[3]) or self._new(s, "trade", segments[3], int(payload["total_amount"]), "USERPAYING",
                                                                   payload["notify_url"])
                t.state, t.updated_at = ("PAYERROR" if a.state == "FAILING" else self.PAID), self.c.clock()
                after = self.payment_notify(t)
                answer = self._signed(200, {"out_order_no": t.serial, "state": "DOING"})
            else:
                return self._signed(404, {"code": "NOT_FOUND", "message": "no such API"})
        if after is not None:
            self._send(*after)
        return answer

    def authorise(self, code: str, outcome: str) -> None:
        """The payer's answer on the Pay Score page: grant | refuse | fails (granted, but every charge fails)."""
        state = {"grant": "AVAILABLE", "fails": "FAILING"}.get(outcome, "REJECTED")
        with self.c.uow() as s:
            a = self._trade(s, "score_auth", code)
            if a is None:
                self._new(s, "score_auth", code, 0, state)
            else:
                a.state, a.updated_at = state, self.c.clock()
