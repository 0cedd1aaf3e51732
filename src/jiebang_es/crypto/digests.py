"""The hash a store is written with: SHA-256 (`intl`) or SM3 (`sm`, GB/T 32905-2016).

SM3 comes from OpenSSL: through hashlib where the interpreter's OpenSSL offers it (the faster
call), otherwise through the cryptography package's own OpenSSL, which always does."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Protocol

from cryptography.hazmat.primitives import hashes

from jiebang_es.crypto import CryptoMode

HashFunction = Callable[[bytes], bytes]

DIGEST_NAMES: dict[CryptoMode, str] = {"intl": "SHA-256", "sm": "SM3"}


class Hasher(Protocol):
    """An incremental hash (hashlib's interface)."""

    def update(self, data: bytes, /) -> None: ...

    def digest(self) -> bytes: ...

    def hexdigest(self) -> str: ...


class _CryptographySm3:
    """SM3 through the cryptography package, with hashlib's interface."""

    def __init__(self, data: bytes = b"") -> None:
        self._hash = hashes.Hash(hashes.SM3())
        self._hash.update(data)

    def update(self, data: bytes, /) -> None:
        self._hash.update(data)

    def digest(self) -> bytes:
        return self._hash.copy().finalize()

    def hexdigest(self) -> str:
        return self.digest().hex()


def _hashlib_has_sm3() -> bool:
    try:
        return hashlib.new("sm3", b"abc").hexdigest() == (
            "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
        )
    except ValueError:
        return False


_HASHLIB_SM3 = _hashlib_has_sm3()


def new_sm3(data: bytes = b"") -> Hasher:
    """An SM3 hash object."""
    return hashlib.new("sm3", data) if _HASHLIB_SM3 else _CryptographySm3(data)


def sm3(data: bytes) -> bytes:
    """The SM3 digest (32 bytes) of ``data``."""
    return new_sm3(data).digest()


def sha256(data: bytes) -> bytes:
    """The SHA-256 digest (32 bytes) of ``data``."""
    return hashlib.sha256(data).digest()


def hash_function(mode: CryptoMode) -> HashFunction:
    """The one-shot hash of a store written in ``mode``."""
    return sm3 if mode == "sm" else sha256


def new_hasher(mode: CryptoMode) -> Hasher:
    """An incremental hash of a store written in ``mode`` (documents are hashed as they stream)."""
    return new_sm3() if mode == "sm" else hashlib.sha256()
