"""Authenticated encryption of one personal field under its data subject's own key: AES-256-GCM
(`intl`) or SM4-GCM (`sm`). A token is nonce || ciphertext || tag; the associated data binds it
to where it belongs (subject and field), so a token moved to another field does not decrypt."""

from __future__ import annotations

import os
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from jiebang_es.crypto import CryptoMode

NONCE_BYTES = 12
TAG_BYTES = 16


class FieldDecryptionError(Exception):
    """A token that does not decrypt under the key and associated data given."""


class FieldCipher(Protocol):
    name: str

    def new_key(self) -> bytes: ...

    def encrypt(self, key: bytes, plaintext: bytes, associated: bytes) -> bytes: ...

    def decrypt(self, key: bytes, token: bytes, associated: bytes) -> bytes: ...


class AesGcmFieldCipher:
    name = "AES-256-GCM"

    def new_key(self) -> bytes:
        return AESGCM.generate_key(bit_length=256)

    def encrypt(self, key: bytes, plaintext: bytes, associated: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return nonce + AESGCM(key).encrypt(nonce, plaintext, associated)

    def decrypt(self, key: bytes, token: bytes, associated: bytes) -> bytes:
        nonce, sealed = token[:NONCE_BYTES], token[NONCE_BYTES:]
        try:
            return AESGCM(key).decrypt(nonce, sealed, associated)
        except (InvalidTag, ValueError) as error:
            raise FieldDecryptionError("the field does not decrypt") from error


class Sm4GcmFieldCipher:
    """SM4 (GB/T 32907) in GCM mode, through the cryptography package's OpenSSL."""

    name = "SM4-GCM"

    def new_key(self) -> bytes:
        return os.urandom(16)

    def encrypt(self, key: bytes, plaintext: bytes, associated: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        encryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        encryptor.authenticate_additional_data(associated)
        sealed = encryptor.update(plaintext) + encryptor.finalize()
        return nonce + sealed + encryptor.tag

    def decrypt(self, key: bytes, token: bytes, associated: bytes) -> bytes:
        if len(token) < NONCE_BYTES + TAG_BYTES:
            raise FieldDecryptionError("the field's token is too short")
        nonce, sealed, tag = token[:NONCE_BYTES], token[NONCE_BYTES:-TAG_BYTES], token[-TAG_BYTES:]
        try:
            decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
            decryptor.authenticate_additional_data(associated)
            return decryptor.update(sealed) + decryptor.finalize()
        except (InvalidTag, ValueError) as error:
            raise FieldDecryptionError("the field does not decrypt") from error


def field_cipher(mode: CryptoMode) -> FieldCipher:
    """The personal fields' cipher of a store written in `mode`."""
    return Sm4GcmFieldCipher() if mode == "sm" else AesGcmFieldCipher()
