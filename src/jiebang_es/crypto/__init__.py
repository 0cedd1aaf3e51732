"""The cryptography a store is written with: `intl` (SHA-256, Ed25519, AES-GCM) or `sm` (the
national algorithms SM3, SM2, SM4 that 商用密码应用安全性评估 expects). A store's mode is fixed when
it is created; nothing here mixes the two."""

from typing import Literal

CryptoMode = Literal["intl", "sm"]
CRYPTO_MODES: tuple[CryptoMode, ...] = ("intl", "sm")
