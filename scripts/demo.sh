#!/usr/bin/env bash
# Runs scripts/demo.ps1 (the main job) with the repo-local PowerShell.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec "$root/.tools/pwsh/pwsh" -NoProfile -NonInteractive -File "$root/scripts/demo.ps1"
