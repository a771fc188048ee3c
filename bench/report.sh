#!/usr/bin/env bash
# The report benchmark (issue 10): one million usage records (990,000 FOCUS cost rows and 10,000
# unpriced records, 40 tenants, 30 days) through the report's one pass, rendered into the report
# and 40 statements, in a release build. Targets: under 10 s, a report file under 5 MB.
#
#   bench/report.sh [--skip-build]      (also step (e) of scripts/bench.sh; bench/report.ps1 is the twin)
#
# Prints a markdown table and writes it to bench/results/report.md. The rows are generated in
# memory (the tests' generator, src/report/tests/common/million.rs); the generation's own time is
# measured alone first and subtracted.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/bench/work"; results="$root/bench/results"
mkdir -p "$work" "$results"
target="${CARGO_TARGET_DIR:-$root/target}"
build=1
[[ ${1:-} == --skip-build ]] && build=0
log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if (( build )); then
  log "building release: cargo build --release -p azs-usage-report --example million_report"
  (cd "$root" && cargo build --release -p azs-usage-report --example million_report >&2)
fi
exe="$target/release/examples/million_report"
[[ -x $exe ]] || { log "FAILED: no $exe (run without --skip-build)"; exit 1; }
gnu_time=/usr/bin/time
[[ -x $gnu_time ]] || { log "FAILED: GNU time missing (apt-get install time)"; exit 1; }

html="$work/report-1m.html"
log "run: million_report $html"
"$gnu_time" -f '%e %M %U %S' -o "$work/time-report.txt" "$exe" "$html" >"$work/report-1m.json"
read -r wall rss_kb user sys < <(tail -1 "$work/time-report.txt")
python3 - "$work/report-1m.json" "$wall" "$rss_kb" "$user" "$sys" "$(stat -c %s "$html")" >"$work/report.md" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall, rss_kb, user, sys_s, size = float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
ok = lambda b: "**met**" if b else "**missed**"
print(f"### Report: {r['records']:,} usage records into the chargeback report and {r['statements']} statements")
print()
print("| step | seconds |")
print("|---|---:|")
print(f"| generate the rows in memory (baseline, subtracted) | {r['generation_s']:.2f} |")
print(f"| one pass: add every row and unpriced record | {r['aggregate_s']:.2f} |")
print(f"| render the report, its charts and the statements | {r['render_s']:.2f} |")
print(f"| **report total** | **{r['report_s']:.2f}** |")
print()
print("| figure | value | target | |")
print("|---|---:|---|---|")
print(f"| report time (pass + rendering) | {r['report_s']:.2f} s | < 10 s | {ok(r['report_s'] < 10)} |")
print(f"| report file | {size / 1e6:.2f} MB ({size:,} bytes) | < 5 MB | {ok(size < 5e6)} |")
print(f"| peak RSS of the whole run | {rss_kb / 1024:.0f} MB | | |")
print(f"| process wall / CPU | {wall:.2f} s / {user + sys_s:.2f} s | | |")
PY
cp "$work/report.md" "$results/report.md"
cat "$work/report.md"
