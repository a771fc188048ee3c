#!/usr/bin/env bash
# The benchmark comparison (issue 4): CLI, module, baseline admin script and the curl transfer floor,
# side by side on one emulator. Prints a markdown table and writes bench/results/latest.md.
#   scripts/bench.sh            1,000,000 hourly records
#   scripts/bench.sh --quick    100,000 hourly records
# More options: bench/run.sh --help; details: bench/README.md.
set -euo pipefail
exec "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/bench/run.sh" "$@"
