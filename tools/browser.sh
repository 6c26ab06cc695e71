#!/usr/bin/env bash
# The browser the portal's tests drive: Debian's Chromium (Playwright cannot download its own builds on these
# machines) and a font with Hangul and CJK glyphs, so screenshots show every locale's script. Installed with
# apt-get when missing and this runs as root; otherwise it says what to install, and the browser tests skip
# (under CI=true they fail instead).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)
[ ${#missing[@]} -eq 0 ] && exit 0
if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
  echo "==> installing ${missing[*]} (apt-get) for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "browser tests need: ${missing[*]} (Debian packages); without them they are skipped" >&2
fi
