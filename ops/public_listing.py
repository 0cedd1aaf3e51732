"""Print the API's public listing once it has caught up with the log (used by ops/demo.sh).

python ops/public_listing.py http://127.0.0.1:8000 [--wait-only]
"""

from __future__ import annotations

import sys
import time

import httpx


def wait_for_server(base: str, seconds: float = 30) -> int:
    """Wait until the server answers; the log's position."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return int(httpx.get(f"{base}/v1/health", timeout=2).json()["position"])
        except (httpx.TransportError, ValueError, KeyError):
            if time.monotonic() > deadline:
                raise SystemExit(f"no API answers at {base}") from None
            time.sleep(0.2)


def main() -> None:
    base = sys.argv[1].rstrip("/")
    position = wait_for_server(base)
    if "--wait-only" in sys.argv:
        return
    page = httpx.get(
        f"{base}/v1/public/challenges", params={"min_position": position, "limit": 500}, timeout=30
    )
    page.raise_for_status()
    print(f"\nGET {base}/v1/public/challenges — public-scope published challenges:")
    for c in page.json()["items"]:
        window = f"{c['window_opens']} – {c['window_closes']}"
        print(f"  {c['name']} ({c['category']}, {c['industry']}) window {window}")


if __name__ == "__main__":
    main()
