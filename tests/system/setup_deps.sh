#!/usr/bin/env bash
# System check: tools/setup.sh installs every program the build and the tests
# call (tools/check-setup.py; PASS:/FAIL: lines naming command and package).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
python3 tools/check-setup.py
