#!/usr/bin/env bash
# Debian's Chromium for the end-to-end tests (`npm run test:e2e`), installed only when missing.
# playwright's own browser download does not work here; playwright-core drives this one instead.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version
