"""The national algorithms against their standards' own examples (docs/cryptography.md).

SM3: GB/T 32905-2016 Appendix A. SM4: GB/T 32907-2016 Appendix A. SM2 signatures: the example of
GM/T 0003.2-2012 / GB/T 32918.2-2016 Appendix A (its 256-bit test curve, identity
ALICE123@YAHOO.COM, with the standard's fixed k) and the example on the recommended curve of
GM/T 0003.5-2012 / GB/T 32918.5 (identity 1234567812345678, fixed k).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from jiebang_es.crypto import digests
from jiebang_es.crypto.signing import generate_signing_key, public_key_from_pem
from jiebang_es.crypto.sm2 import (
    SM2_CURVE,
    Curve,
    Sm2Error,
    Sm2PrivateKey,
    Sm2PublicKey,
    encode_signature,
    load_private_pem,
    load_public_pem,
    message_hash,
    public_key_of,
    sign_raw,
    verify_raw,
    z_value,
)

SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
SM3_512 = "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"


@pytest.mark.parametrize(
    "sm3",
    [digests.sm3, lambda data: digests._CryptographySm3(data).digest()],
    ids=["hashlib-or-cryptography", "cryptography"],
)
def test_sm3_standard_examples(sm3):
    assert sm3(b"abc").hex() == SM3_ABC
    assert sm3(b"abcd" * 16).hex() == SM3_512


def test_sm3_incremental_equals_one_shot_and_the_store_hash_follows_the_mode():
    h = digests.new_hasher("sm")
    for part in (b"abcd" * 7, b"abcd" * 9):
        h.update(part)
    assert h.hexdigest() == SM3_512
    assert digests.hash_function("sm")(b"abc").hex() == SM3_ABC
    assert digests.hash_function("intl")(b"abc").hex() == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_sm4_standard_examples():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    # the standard gives single blocks: ECB is one block cipher call each
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305
    block = encryptor.update(key)  # the plaintext is the key itself
    assert block.hex() == "681edf34d206965e86b3e94f536e4246"
    for _ in range(999_999):  # example 2: encrypted 1,000,000 times with the same key
        block = encryptor.update(block)
    assert block.hex() == "595298c7c6fd271f0402f804c33d3f66"


# GM/T 0003.2-2012 Appendix A: the 256-bit prime-field test curve.
TEST_CURVE = Curve(
    p=0x8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3,
    a=0x787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498,
    b=0x63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A,
    gx=0x421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D,
    gy=0x0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2,
    n=0x8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7,
)
ALICE = b"ALICE123@YAHOO.COM"
MESSAGE = b"message digest"


def test_sm2_standard_example_on_the_test_curve():
    d = 0x128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263
    public = public_key_of(d, TEST_CURVE)
    assert public.hex().upper() == (
        "0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A"
        "7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857"
    )
    assert z_value(public, ALICE, TEST_CURVE).hex().upper() == (
        "F4A38489E32B45B6F876E3AC2168CA392362DC8F23459C1D1146FC3DBFB7BC9A"
    )
    assert message_hash(public, MESSAGE, ALICE, TEST_CURVE).hex().upper() == (
        "B524F552CD82B8B028476E005C377FB19A87E6FC682D48BB5D42E3D9B9EFFE76"
    )
    k = 0x6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F
    r = 0x40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1
    s = 0x6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7
    assert sign_raw(d, MESSAGE, ident=ALICE, k=k, curve=TEST_CURVE) == (r, s)
    assert verify_raw(public, MESSAGE, (r, s), ident=ALICE, curve=TEST_CURVE)
    assert not verify_raw(public, MESSAGE + b".", (r, s), ident=ALICE, curve=TEST_CURVE)
    assert not verify_raw(public, MESSAGE, (r, s + 1), ident=ALICE, curve=TEST_CURVE)


RECOMMENDED_D = 0x3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8
RECOMMENDED_PUBLIC = (
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
RECOMMENDED_R = 0xF5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3
RECOMMENDED_S = 0xB1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA


def test_sm2_standard_example_on_the_recommended_curve():
    public = public_key_of(RECOMMENDED_D)
    assert public.hex().upper() == RECOMMENDED_PUBLIC
    k = 0x59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21
    signature = (RECOMMENDED_R, RECOMMENDED_S)
    assert sign_raw(RECOMMENDED_D, MESSAGE, k=k) == signature  # default id 1234567812345678
    # the published signature verifies with the public key alone, in the stored DER form
    verifying = Sm2PublicKey(bytes.fromhex(RECOMMENDED_PUBLIC))
    assert verifying.verify(encode_signature(signature), MESSAGE)
    assert not verifying.verify(encode_signature(signature), b"message digest!")


def test_sm2_refuses_out_of_range_signatures_and_keys_off_the_curve():
    public = bytes.fromhex(RECOMMENDED_PUBLIC)
    assert not verify_raw(public, MESSAGE, (0, RECOMMENDED_S))
    assert not verify_raw(public, MESSAGE, (RECOMMENDED_R, SM2_CURVE.n))
    off_curve = public[:63] + bytes([public[63] ^ 1])
    with pytest.raises(Sm2Error, match="not a point"):
        Sm2PublicKey(off_curve)
    assert not Sm2PublicKey(public).verify(b"\x30\x00", MESSAGE)


def test_sm2_signatures_use_fresh_nonces_and_keys_round_trip_through_pem():
    key = Sm2PrivateKey.generate()
    first, second = key.sign(MESSAGE), key.sign(MESSAGE)
    assert first != second  # k is drawn afresh each time
    loaded = load_private_pem(key.pem())
    public = load_public_pem(key.public.pem())
    assert public.raw == key.public.raw == loaded.public.raw
    assert public.verify(first, MESSAGE)
    assert public.verify(loaded.sign(MESSAGE), MESSAGE)
    with pytest.raises(Sm2Error):
        load_public_pem(generate_signing_key("intl").public.pem())


def _openssl_with_sm2() -> str | None:
    openssl = shutil.which("openssl")
    if openssl is None:
        return None
    done = subprocess.run(  # noqa: S603 (the system's openssl, fixed arguments)
        [openssl, "list", "-signature-algorithms"], capture_output=True, text=True, check=False
    )
    return openssl if "SM2" in done.stdout else None


@pytest.mark.skipif(_openssl_with_sm2() is None, reason="no openssl command with SM2 here")
def test_sm2_keys_and_signatures_are_openssls(tmp_path: Path):
    """Interoperability: OpenSSL verifies our checkpoint signatures and reads our keys."""
    openssl = _openssl_with_sm2()
    assert openssl is not None
    key = generate_signing_key("sm")
    (tmp_path / "key.pem").write_bytes(key.pem())
    (tmp_path / "pub.pem").write_bytes(key.public.pem())
    (tmp_path / "msg").write_bytes(MESSAGE)
    (tmp_path / "sig").write_bytes(key.sign(MESSAGE))
    verified = subprocess.run(  # noqa: S603
        [openssl, "pkeyutl", "-verify", "-pubin", "-inkey", str(tmp_path / "pub.pem"), "-rawin",
         "-digest", "sm3", "-in", str(tmp_path / "msg"), "-sigfile", str(tmp_path / "sig"),
         "-pkeyopt", "distid:1234567812345678"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert verified.returncode == 0, verified.stderr + verified.stdout
    signed = subprocess.run(  # noqa: S603
        [openssl, "pkeyutl", "-sign", "-inkey", str(tmp_path / "key.pem"), "-rawin",
         "-digest", "sm3", "-in", str(tmp_path / "msg"), "-pkeyopt", "distid:1234567812345678"],
        capture_output=True, check=False,
    )  # fmt: skip
    assert signed.returncode == 0, signed.stderr
    assert public_key_from_pem(key.public.pem()).verify(signed.stdout, MESSAGE)


def test_sm2_a_public_key_whose_x_begins_with_04_verifies() -> None:
    """gmssl strips a leading "04" with str.lstrip, eating x's own leading 0s and 4s: one key in
    256 verified nothing and crashed (a checkpoint of an `sm` store read as forged, or an
    error). The private key 11's public x begins "04"."""
    from jiebang_es.crypto.sm2 import Sm2PrivateKey

    key = Sm2PrivateKey(11)
    assert key.public.raw.hex().startswith("04")
    signature = key.sign(b"jiebang-checkpoint/1|3|ab|2026-12-04T12:00:00+08:00")
    assert key.public.verify(signature, b"jiebang-checkpoint/1|3|ab|2026-12-04T12:00:00+08:00")
    assert not key.public.verify(signature, b"another message")
