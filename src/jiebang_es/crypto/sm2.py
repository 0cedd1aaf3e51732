"""SM2 signatures (GB/T 32918.2-2016, GM/T 0003.2-2012) on the recommended curve (GB/T 32918.5).

The curve arithmetic is the gmssl package's (``gmssl.sm2.CryptSM2.sign``/``verify`` over a given
hash ``e`` and nonce ``k``); everything around it is here, so that it is done as the standard
and GB/T 35276 say and as a careful signer must:

- the nonce ``k`` is drawn from the operating system's CSPRNG (``secrets``), never from gmssl's
  own helper, which uses Python's non-cryptographic ``random``;
- ``e = SM3(Z_A || M)`` with ``Z_A = SM3(ENTL || ID || a || b || x_G || y_G || x_A || y_A)`` and
  the default distinguishing identifier ``1234567812345678`` (GB/T 35276-2017);
- a signature is the DER ``SEQUENCE { r INTEGER, s INTEGER }`` of GB/T 35276; ``r`` and ``s``
  outside ``[1, n-1]`` and public keys off the curve are refused before any arithmetic;
- keys are stored as standard PEM (PKCS#8 and SubjectPublicKeyInfo, ``id-ecPublicKey`` with the
  SM2 curve's OID 1.2.156.10197.1.301), which OpenSSL and Tongsuo read as they are.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from gmssl.sm2 import CryptSM2  # type: ignore[import-untyped]

from jiebang_es.crypto.digests import sm3

# DER of the key's algorithm: id-ecPublicKey (1.2.840.10045.2.1), curve SM2 (1.2.156.10197.1.301)
EC_PUBLIC_KEY_OID = bytes.fromhex("06072a8648ce3d0201")
SM2_CURVE_OID = bytes.fromhex("06082a811ccf5501822d")
DEFAULT_ID = b"1234567812345678"


@dataclass(frozen=True)
class Curve:
    """Parameters of a prime-field curve y² = x³ + ax + b."""

    p: int
    a: int
    b: int
    gx: int
    gy: int
    n: int

    def table(self) -> dict[str, str]:
        """The curve as gmssl takes it."""
        return {
            "p": f"{self.p:064x}",
            "a": f"{self.a:064x}",
            "b": f"{self.b:064x}",
            "g": f"{self.gx:064x}{self.gy:064x}",
            "n": f"{self.n:064x}",
        }

    def contains(self, x: int, y: int) -> bool:
        on_curve = (y * y - x**3 - self.a * x - self.b) % self.p == 0
        return 0 <= x < self.p and 0 <= y < self.p and on_curve


# GB/T 32918.5-2017: the recommended 256-bit curve.
SM2_CURVE = Curve(
    p=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF,
    a=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC,
    b=0x28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93,
    gx=0x32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7,
    gy=0xBC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0,
    n=0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123,
)


class Sm2Error(ValueError):
    """A malformed SM2 key or signature."""


def _to_bytes(value: int) -> bytes:
    return value.to_bytes(32, "big")


def z_value(public: bytes, ident: bytes = DEFAULT_ID, curve: Curve = SM2_CURVE) -> bytes:
    """Z_A: the hash of the signer's identifier, the curve and the public key (x || y)."""
    if len(ident) * 8 >= 1 << 16:
        raise Sm2Error("the distinguishing identifier is too long")
    return sm3(
        (len(ident) * 8).to_bytes(2, "big")
        + ident
        + b"".join(_to_bytes(v) for v in (curve.a, curve.b, curve.gx, curve.gy))
        + public
    )


def message_hash(
    public: bytes, message: bytes, ident: bytes = DEFAULT_ID, curve: Curve = SM2_CURVE
) -> bytes:
    """e = SM3(Z_A || M), the value that is signed."""
    return sm3(z_value(public, ident, curve) + message)


def _engine(private: int | None, public: bytes, curve: Curve) -> CryptSM2:
    engine = CryptSM2(
        private_key=f"{private:064x}" if private is not None else "",
        public_key="",
        ecc_table=curve.table(),
    )
    # Set after construction: gmssl drops a leading "04" with ``str.lstrip("04")``, which
    # strips every leading 0 and 4 of x as well — one key in 256 (x's hex beginning "04")
    # then verified no signature at all, and crashed in its point arithmetic.
    engine.public_key = public.hex()
    return engine


def public_key_of(private: int, curve: Curve = SM2_CURVE) -> bytes:
    """The public key (x || y, 64 bytes) of a private key."""
    if not 1 <= private < curve.n - 1:
        raise Sm2Error("the private key is out of range")
    point: str = _engine(private, b"", curve)._kg(private, curve.table()["g"])
    return bytes.fromhex(point)


def check_public_key(public: bytes, curve: Curve = SM2_CURVE) -> bytes:
    """The public key if it is a point of the curve; otherwise an error."""
    if len(public) != 64:
        raise Sm2Error("an SM2 public key is 64 bytes (x || y)")
    x, y = int.from_bytes(public[:32], "big"), int.from_bytes(public[32:], "big")
    if not curve.contains(x, y):
        raise Sm2Error("the public key is not a point of the SM2 curve")
    return public


def sign_raw(
    private: int,
    message: bytes,
    *,
    ident: bytes = DEFAULT_ID,
    k: int | None = None,
    curve: Curve = SM2_CURVE,
) -> tuple[int, int]:
    """(r, s) over a message. ``k`` is given only by the standard's examples (tests)."""
    public = public_key_of(private, curve)
    e = message_hash(public, message, ident, curve)
    engine = _engine(private, public, curve)
    while True:
        nonce = k if k is not None else secrets.randbelow(curve.n - 1) + 1
        signed: str | None = engine.sign(e, f"{nonce:064x}")
        if signed is not None:
            return int(signed[:64], 16), int(signed[64:], 16)
        if k is not None:
            raise Sm2Error("the given k gives no signature")


def verify_raw(
    public: bytes,
    message: bytes,
    signature: tuple[int, int],
    *,
    ident: bytes = DEFAULT_ID,
    curve: Curve = SM2_CURVE,
) -> bool:
    """Whether (r, s) is a signature of the message under the public key."""
    r, s = signature
    if not (1 <= r < curve.n and 1 <= s < curve.n):
        return False
    check_public_key(public, curve)
    e = message_hash(public, message, ident, curve)
    return bool(_engine(None, public, curve).verify(f"{r:064x}{s:064x}", e))


def encode_signature(signature: tuple[int, int]) -> bytes:
    """GB/T 35276: SEQUENCE { r INTEGER, s INTEGER }."""
    return encode_dss_signature(*signature)


def decode_signature(der: bytes) -> tuple[int, int]:
    try:
        return decode_dss_signature(der)
    except ValueError as e:
        raise Sm2Error(f"not an SM2 signature: {e}") from None


class Sm2PrivateKey:
    def __init__(self, private: int) -> None:
        self.public = Sm2PublicKey(public_key_of(private))
        self._private = private

    @classmethod
    def generate(cls) -> Sm2PrivateKey:
        return cls(secrets.randbelow(SM2_CURVE.n - 2) + 1)

    def sign(self, message: bytes) -> bytes:
        return encode_signature(sign_raw(self._private, message))

    def pem(self) -> bytes:
        """PKCS#8, as ``openssl genpkey -algorithm SM2`` writes it."""
        ec_private_key = _tlv(
            0x30,
            _tlv(0x02, b"\x01")
            + _tlv(0x04, _to_bytes(self._private))
            + _tlv(0xA1, _tlv(0x03, b"\x00\x04" + self.public.raw)),
        )
        der = _tlv(0x30, _tlv(0x02, b"\x00") + _ALGORITHM + _tlv(0x04, ec_private_key))
        return _pem("PRIVATE KEY", der)


class Sm2PublicKey:
    def __init__(self, raw: bytes) -> None:
        self.raw = check_public_key(raw)

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            return verify_raw(self.raw, message, decode_signature(signature))
        except Sm2Error:
            return False

    def pem(self) -> bytes:
        der = _tlv(0x30, _ALGORITHM + _tlv(0x03, b"\x00\x04" + self.raw))
        return _pem("PUBLIC KEY", der)


_ALGORITHM = (
    b"\x30" + bytes([len(EC_PUBLIC_KEY_OID + SM2_CURVE_OID)]) + EC_PUBLIC_KEY_OID + SM2_CURVE_OID
)


def _tlv(tag: int, content: bytes) -> bytes:
    """One DER element."""
    n = len(content)
    length = (
        bytes([n])
        if n < 0x80
        else bytes([0x80 | ((n.bit_length() + 7) // 8)])
        + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )
    return bytes([tag]) + length + content


def _elements(der: bytes) -> list[tuple[int, bytes]]:
    """The (tag, content) of each DER element in a byte string, in order."""
    found, i = [], 0
    while i < len(der):
        if i + 2 > len(der):
            raise Sm2Error("truncated DER")
        tag, n = der[i], der[i + 1]
        i += 2
        if n & 0x80:
            width = n & 0x7F
            if width == 0 or width > 4 or i + width > len(der):
                raise Sm2Error("malformed DER length")
            n = int.from_bytes(der[i : i + width], "big")
            i += width
        if i + n > len(der):
            raise Sm2Error("truncated DER")
        found.append((tag, der[i : i + n]))
        i += n
    return found


def _expect(der: bytes, *tags: int) -> list[bytes]:
    """The contents of the elements, which must be (at least) of these tags, in order."""
    elements = _elements(der)
    if len(elements) < len(tags) or any(e[0] != t for e, t in zip(elements, tags, strict=False)):
        raise Sm2Error("unexpected DER structure")
    return [content for _, content in elements[: len(tags)]]


def _sm2_algorithm(content: bytes) -> None:
    if content != _ALGORITHM[2:]:
        raise Sm2Error("not an SM2 key (id-ecPublicKey on the SM2 curve)")


def _pem(label: str, der: bytes) -> bytes:
    b64 = base64.encodebytes(bytes(der)).replace(b"\n", b"")
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    return b"".join(
        [f"-----BEGIN {label}-----\n".encode(), *(line + b"\n" for line in lines),
         f"-----END {label}-----\n".encode()]
    )  # fmt: skip


def _der_of(pem: bytes, label: str) -> bytes:
    text = pem.decode("ascii", errors="replace")
    begin, end = f"-----BEGIN {label}-----", f"-----END {label}-----"
    if begin not in text or end not in text:
        raise Sm2Error(f"not a PEM {label}")
    body = text.split(begin, 1)[1].split(end, 1)[0]
    try:
        return base64.b64decode("".join(body.split()), validate=True)
    except ValueError as e:
        raise Sm2Error(f"not a PEM {label}: {e}") from None


def load_private_pem(pem: bytes) -> Sm2PrivateKey:
    """An SM2 private key from PKCS#8 PEM; an error for anything else."""
    (info,) = _expect(_der_of(pem, "PRIVATE KEY"), 0x30)
    version, algorithm, wrapped = _expect(info, 0x02, 0x30, 0x04)
    _sm2_algorithm(algorithm)
    (ec_private_key,) = _expect(wrapped, 0x30)
    _, private = _expect(ec_private_key, 0x02, 0x04)
    if version != b"\x00" or len(private) != 32:
        raise Sm2Error("not an SM2 private key")
    return Sm2PrivateKey(int.from_bytes(private, "big"))


def load_public_pem(pem: bytes) -> Sm2PublicKey:
    """An SM2 public key from SubjectPublicKeyInfo PEM; an error for anything else."""
    (info,) = _expect(_der_of(pem, "PUBLIC KEY"), 0x30)
    algorithm, bits = _expect(info, 0x30, 0x03)
    _sm2_algorithm(algorithm)
    if len(bits) != 66 or bits[:2] != b"\x00\x04":
        raise Sm2Error("the SM2 public key is not an uncompressed point")
    return Sm2PublicKey(bits[2:])
