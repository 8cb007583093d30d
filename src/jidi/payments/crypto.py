"""The signatures and encryption the payment gateways use, on `cryptography`: RSA-SHA256 (PKCS#1 v1.5) signatures in
base64 (Alipay's RSA2, WeChat Pay v3's WECHATPAY2-SHA256-RSA2048) and AES-256-GCM (WeChat Pay v3's callback resource).

These are a merchant's and a gateway's keys, not the privacy core's: they sign and check money messages and never
seal personal data (import contract: only this module of the feature imports `cryptography`)."""
from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class BadSignature(ValueError):
    """A signature or an encrypted resource that does not check."""


def new_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class Signer:
    def __init__(self, private_pem: str):
        key = serialization.load_pem_private_key(private_pem.encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        self._key = key

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self._key.sign(message, padding.PKCS1v15(), hashes.SHA256())).decode()


class Verifier:
    def __init__(self, public_pem_text: str):
        key = serialization.load_pem_public_key(public_pem_text.encode())
        assert isinstance(key, rsa.RSAPublicKey)
        self._key = key

    def verify(self, message: bytes, signature: str) -> None:
        try:
            raw = base64.b64decode(signature, validate=True)
            self._key.verify(raw, message, padding.PKCS1v15(), hashes.SHA256())
        except (InvalidSignature, ValueError) as exc:
            raise BadSignature("signature does not verify") from exc


def gcm_encrypt(key: bytes, nonce: bytes, associated: bytes, plaintext: bytes) -> str:
    return base64.b64encode(AESGCM(key).encrypt(nonce, plaintext, associated)).decode()


def gcm_decrypt(key: bytes, nonce: bytes, associated: bytes, ciphertext_b64: str) -> bytes:
    try:
        return AESGCM(key).decrypt(nonce, base64.b64decode(ciphertext_b64, validate=True), associated)
    except (InvalidTag, ValueError) as exc:
        raise BadSignature("resource does not decrypt") from exc
