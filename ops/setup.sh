#!/usr/bin/env bash
# Create .venv (if missing) and install jiebang_es with its dev tools into it.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null
.venv/bin/python -m pip install --quiet -e ".[dev]"
# The browser tests drive the system's Chromium, with CJK fonts to render Chinese. Installed from
# the distribution's packages when missing, where that is possible (root with apt-get); nothing
# ever downloads a browser build of its own. The run command (ops/demo.sh) needs no browser and
# skips this with --no-browser.
if [ "${1:-}" != "--no-browser" ] && { [ ! -x /usr/bin/chromium ] || ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; }; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            chromium fonts-noto-cjk >/dev/null
    else
        echo "setup: chromium or fonts-noto-cjk missing (install them as root for the browser tests)" >&2
    fi
fi
