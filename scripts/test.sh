#!/usr/bin/env bash
# The README's test command: install what is missing, build, run every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
exec npm test --silent
