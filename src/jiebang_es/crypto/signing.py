"""The checkpoints' signatures: Ed25519 (`intl`, the cryptography package) or SM2 (`sm`,
jiebang_es.crypto.sm2). Keys are PEM files; which algorithm a key is of is read from the file,
and a key of the other mode is refused by name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from jiebang_es.crypto import CryptoMode
from jiebang_es.crypto.digests import hash_function
from jiebang_es.crypto.sm2 import (
    Sm2Error,
    Sm2PrivateKey,
    Sm2PublicKey,
    load_private_pem,
    load_public_pem,
)

SIGNATURE_NAMES: dict[CryptoMode, str] = {"intl": "Ed25519", "sm": "SM2"}


class KeyFileError(ValueError):
    """A key file that is not a key of the expected algorithm (its message says why)."""


class VerifyingKey(Protocol):
    @property
    def mode(self) -> CryptoMode: ...

    @property
    def key_id(self) -> str: ...

    def verify(self, signature: bytes, message: bytes) -> bool: ...

    def pem(self) -> bytes: ...


class SigningKey(Protocol):
    @property
    def mode(self) -> CryptoMode: ...

    @property
    def public(self) -> VerifyingKey: ...

    def sign(self, message: bytes) -> bytes: ...

    def pem(self) -> bytes: ...


def _key_id(mode: CryptoMode, raw: bytes) -> str:
    """A short, stable name of a public key: the start of its raw bytes' hash (SHA-256 for
    Ed25519 keys, as before; SM3 for SM2 keys)."""
    return hash_function(mode)(raw).hex()[:16]


@dataclass(frozen=True)
class Ed25519Verifying:
    key: Ed25519PublicKey
    mode: CryptoMode = "intl"

    @property
    def key_id(self) -> str:
        return _key_id(self.mode, self.key.public_bytes_raw())

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True

    def pem(self) -> bytes:
        return self.key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )


@dataclass(frozen=True)
class Ed25519Signing:
    key: Ed25519PrivateKey
    mode: CryptoMode = "intl"

    @property
    def public(self) -> VerifyingKey:
        return Ed25519Verifying(self.key.public_key())

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message)

    def pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


@dataclass(frozen=True)
class Sm2Verifying:
    key: Sm2PublicKey
    mode: CryptoMode = "sm"

    @property
    def key_id(self) -> str:
        return _key_id(self.mode, b"\x04" + self.key.raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        return self.key.verify(signature, message)

    def pem(self) -> bytes:
        return self.key.pem()


@dataclass(frozen=True)
class Sm2Signing:
    key: Sm2PrivateKey
    mode: CryptoMode = "sm"

    @property
    def public(self) -> VerifyingKey:
        return Sm2Verifying(self.key.public)

    def sign(self, message: bytes) -> bytes:
        return self.key.sign(message)

    def pem(self) -> bytes:
        return self.key.pem()


def generate_signing_key(mode: CryptoMode) -> SigningKey:
    if mode == "sm":
        return Sm2Signing(Sm2PrivateKey.generate())
    return Ed25519Signing(Ed25519PrivateKey.generate())


def private_key_from_pem(pem: bytes) -> SigningKey:
    """An Ed25519 or SM2 private key from PEM."""
    try:
        return Sm2Signing(load_private_pem(pem))
    except Sm2Error as e:
        sm2_reason = str(e)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise KeyFileError(f"neither an Ed25519 private key ({e}) nor {sm2_reason}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError("neither an Ed25519 nor an SM2 private key")
    return Ed25519Signing(key)


def public_key_from_pem(pem: bytes) -> VerifyingKey:
    """An Ed25519 or SM2 public key from PEM."""
    try:
        return Sm2Verifying(load_public_pem(pem))
    except Sm2Error as e:
        sm2_reason = str(e)
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError, UnsupportedAlgorithm) as e:
        raise KeyFileError(f"neither an Ed25519 public key ({e}) nor {sm2_reason}") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyFileError("neither an Ed25519 nor an SM2 public key")
    return Ed25519Verifying(key)
