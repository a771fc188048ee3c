#!/usr/bin/env bash
# The report benchmark (issue 10): one million usage records (990,000 FOCUS cost rows and 10,000
# unpriced records, 40 tenants, 30 days) through the report's one pass, rendered into the report
# and 40 statements, in a release build. Targets: under 10 s, a report file under 5 MB.
#
#   bench/report.sh [--skip-build]      (also step (f) of scripts/bench.sh; bench/report.ps1 is the twin)
#
# Two measurements, one table (also written to bench/results/report.md):
#   1. the report library alone: the rows generated in memory (the tests' generator,
#      src/report/tests/common/million.rs; its own time measured alone and subtracted);
#   2. end to end: the same rows written once as FOCUS Parquet (bench/work/focus-1m.parquet and
#      its .unpriced.csv), then `azs-usage report --input ... --tag CostCenter --statements DIR`
#      timed as a whole (reading Parquet, the pass, the pages, the files; --no-pdf: printing is the
#      browser's time, about a second per statement).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$root/bench/work"; results="$root/bench/results"
mkdir -p "$work" "$results"
target="${CARGO_TARGET_DIR:-$root/target}"
build=1
[[ ${1:-} == --skip-build ]] && build=0
log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if (( build )); then
  log "building release: the million_report example and the CLI"
  (cd "$root" && cargo build --release -p azs-usage-report --example million_report >&2 &&
    cargo build --release -p azs-usage-cli >&2)
fi
exe="$target/release/examples/million_report"
cli="$target/release/azs-usage"
for f in "$exe" "$cli"; do [[ -x $f ]] || { log "FAILED: no $f (run without --skip-build)"; exit 1; }; done
gnu_time=/usr/bin/time
[[ -x $gnu_time ]] || { log "FAILED: GNU time missing (apt-get install time)"; exit 1; }

html="$work/report-1m.html"
log "run: million_report $html"
"$gnu_time" -f '%e %M %U %S' -o "$work/time-report.txt" "$exe" "$html" >"$work/report-1m.json"
read -r wall rss_kb user sys < <(tail -1 "$work/time-report.txt")

focus="$work/focus-1m.parquet"
if [[ ! -s $focus || ! -s $focus.unpriced.csv ]]; then
  log "writing $focus (once; reused by later runs)"
  "$exe" --write-focus "$focus"
fi
e2e_html="$work/report-1m-cli.html"
rm -rf "$work/statements-1m"
log "run: azs-usage report --input $focus --tag CostCenter --statements ... -o $e2e_html"
"$gnu_time" -f '%e %M %U %S' -o "$work/time-report-cli.txt" "$cli" report --input "$focus" --tag CostCenter \
  --statements "$work/statements-1m" --no-pdf -o "$e2e_html" 2>"$work/report-cli.log"
read -r cli_wall cli_rss_kb cli_user cli_sys < <(tail -1 "$work/time-report-cli.txt")
cli_statements=$(find "$work/statements-1m" -name '*.html' | wc -l)

python3 - "$work/report-1m.json" "$wall" "$rss_kb" "$user" "$sys" "$(stat -c %s "$html")" \
  "$cli_wall" "$cli_rss_kb" "$cli_user" "$cli_sys" "$(stat -c %s "$e2e_html")" "$cli_statements" "$(stat -c %s "$focus")" >"$work/report.md" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall, rss_kb, user, sys_s, size = float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
cli_wall, cli_rss, cli_cpu = float(sys.argv[7]), int(sys.argv[8]), float(sys.argv[9]) + float(sys.argv[10])
cli_size, cli_statements, focus_size = int(sys.argv[11]), int(sys.argv[12]), int(sys.argv[13])
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
print(f"| library: report time (pass + rendering) | {r['report_s']:.2f} s | < 10 s | {ok(r['report_s'] < 10)} |")
print(f"| library: report file | {size / 1e6:.2f} MB ({size:,} bytes) | < 5 MB | {ok(size < 5e6)} |")
print(f"| library: peak RSS of the whole run | {rss_kb / 1024:.0f} MB | | |")
print(f"| library: process wall / CPU | {wall:.2f} s / {user + sys_s:.2f} s | | |")
print(f"| CLI end to end: `report --input` FOCUS Parquet ({focus_size / 1e6:.0f} MB) + {cli_statements} statements, wall | {cli_wall:.2f} s | < 10 s | {ok(cli_wall < 10)} |")
print(f"| CLI end to end: CPU / peak RSS | {cli_cpu:.2f} s / {cli_rss / 1024:.0f} MB | | |")
print(f"| CLI end to end: report file | {cli_size / 1e6:.2f} MB | < 5 MB | {ok(cli_size < 5e6)} |")
PY
cp "$work/report.md" "$results/report.md"
cat "$work/report.md"
