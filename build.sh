#!/usr/bin/env bash
# One entry point for building, demonstrating and testing AzsUsage (build.ps1 is the Windows twin).
#
#   ./build.sh setup   install what the machine's package tools provide (idempotent)
#   ./build.sh build   build the CLI, the native library and the PowerShell module into out/
#   ./build.sh demo    the main job: start the emulator with sample data and pull every tenant's
#                      usage into CSV, with the CLI and with the module; compare the totals
#   ./build.sh test    the CI gates (format, lints, docs, C# warnings), then every test suite; the last
#                      line is "N passed, N failed" (each gate counts as one test)
#   ./build.sh gates   the CI gates only
#
# PROFILE=debug|release (default: release for build/demo, debug for test).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
root=$PWD

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

setup() {
  local need=()
  command -v cc >/dev/null || need+=(build-essential)
  command -v zstd >/dev/null || need+=(zstd)
  command -v curl >/dev/null || need+=(curl)
  command -v python3 >/dev/null || need+=(python3)
  # The store's tests start a throwaway PostgreSQL cluster (tests/rust/pg.rs); they need the server binaries.
  compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || command -v initdb >/dev/null || need+=(postgresql)
  # The report's browser tests: headless Chromium, driven by Playwright from Node.js.
  [[ -x /usr/bin/chromium ]] || command -v chromium >/dev/null || need+=(chromium)
  command -v node >/dev/null || need+=(nodejs)
  command -v npm >/dev/null || need+=(npm)
  if ((${#need[@]})); then
    if [[ $(id -u) == 0 ]]; then
      log "apt-get install ${need[*]}"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
      echo "missing packages: ${need[*]} (install them with apt-get as root)" >&2; exit 1
    fi
  fi
  # Offline build machines resolve crates from a mirror beside the checkout; connected machines
  # use crates.io as usual.
  if [[ -x ../shared/crates/activate ]]; then ../shared/crates/activate >/dev/null; fi
  command -v cargo >/dev/null || { echo "cargo not found: install Rust (https://rustup.rs)" >&2; exit 1; }
  command -v dotnet >/dev/null || { echo "dotnet not found: install the .NET SDK 8 or later" >&2; exit 1; }
  scripts/dotnet-tools.sh
  # DuckDB for the FOCUS conformance test (tests/focus), from npm at the locked version.
  if [[ ! -d tests/focus/node_modules/@duckdb/node-api ]]; then
    log "npm ci (tests/focus: DuckDB for the FOCUS conformance test)"
    (cd tests/focus && npm ci --no-audit --no-fund >/dev/null)
  fi
  # playwright-core, pinned by tests/report/package-lock.json.
  if [[ ! -f tests/report/node_modules/playwright-core/package.json ]]; then
    log "npm ci (tests/report)"
    (cd tests/report && npm ci --no-audit --no-fund >/dev/null)
  fi
}

build() {
  local profile=${PROFILE:-release}
  log "building the CLI, the native library and the module ($profile)"
  if [[ $profile == debug ]]; then module/build.sh --debug; else module/build.sh; fi
}

demo() {
  setup
  build
  scripts/demo.sh
}

# gate NAME COMMAND...: runs one CI gate, counted as one test; its output is shown only when it fails.
gate() {
  local name=$1; shift
  log "gate: $name"
  local started=$SECONDS
  if "$@" >"$logdir/gate-$name.log" 2>&1; then
    passed=$((passed + 1))
    echo "gate $name: ok ($((SECONDS - started)) s)"
  else
    failed=$((failed + 1))
    tail -n 60 "$logdir/gate-$name.log" >&2
    echo "gate $name: FAILED ($((SECONDS - started)) s; full output in $logdir/gate-$name.log)" >&2
  fi
}

workspace_version() {
  awk -F'"' '/^\[workspace\.package\]/ { s = 1; next } /^\[/ { s = 0 } s && /^version *=/ { print $2; exit }' "$root/Cargo.toml"
}

run_gates() {
  gate fmt cargo fmt --all --check
  gate clippy cargo clippy --workspace --all-targets -- -D warnings
  gate doc env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
  gate csharp dotnet build "$root/module/AzsUsage.csproj" -c Debug -nologo -v quiet -warnaserror \
    -p:Version="$(workspace_version)" -o "$root/module/bin/gate"
}

run_tests() {
  setup
  local profile=${PROFILE:-debug}
  local logdir=${CARGO_TARGET_DIR:-$root/target}/test-logs
  mkdir -p "$logdir"
  local passed=0 failed=0 status=0

  run_gates

  log "cargo test (workspace)"
  set +e
  cargo test --workspace --no-fail-fast 2>&1 | tee "$logdir/cargo.log"
  local cargo_status=${PIPESTATUS[0]}
  set -e
  read -r p f < <(awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i) ~ /^passed;?$/) p += $(i-1); if ($(i) ~ /^failed;?$/) f += $(i-1) } } END { print p+0, f+0 }' "$logdir/cargo.log")
  passed=$((passed + p)); failed=$((failed + f))
  if ((cargo_status != 0 && f == 0)); then failed=$((failed + 1)); echo "cargo test exited $cargo_status (build failure?)" >&2; fi

  log "PowerShell module tests (Pester)"
  set +e
  PROFILE=$profile build >/dev/null && .tools/pwsh/pwsh -NoProfile -NonInteractive -File tests/pester/run.ps1 2>&1 | tee "$logdir/pester.log"
  local pester_status=$?
  set -e
  read -r p f < <(grep -E '^[0-9]+ passed, [0-9]+ failed' "$logdir/pester.log" | tail -1 | awk '{ print $1+0, $3+0 }')
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
  if ((pester_status != 0 && ${f:-0} == 0)); then failed=$((failed + 1)); echo "Pester run exited $pester_status" >&2; fi

  ((failed == 0)) || status=1
  echo "$passed passed, $failed failed"
  return $status
}

run_gates_only() {
  setup
  local logdir=${CARGO_TARGET_DIR:-$root/target}/test-logs
  mkdir -p "$logdir"
  local passed=0 failed=0
  run_gates
  echo "$passed passed, $failed failed"
  ((failed == 0))
}

case ${1:-} in
  setup) setup ;;
  build) setup; build ;;
  demo) demo ;;
  test) run_tests ;;
  gates) run_gates_only ;;
  *) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
