"""The audit tests that touch cryptography run under both modes (docs/cryptography.md).

A module opts in with ``pytestmark = pytest.mark.usefixtures("crypto_mode")`` or by asking for
``crypto_mode``: every store its tests create (settings, CLI runs and processes all read
JIEBANG_CRYPTO) is then created once in `intl` and once in `sm` mode. Modules that do not touch
seals, digests or signatures run once, as before.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from jiebang_es.crypto import CRYPTO_MODES, CryptoMode


@pytest.fixture(scope="module", params=CRYPTO_MODES)
def crypto_mode(request: pytest.FixtureRequest) -> Iterator[CryptoMode]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JIEBANG_CRYPTO", request.param)
        yield request.param
