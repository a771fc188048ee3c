#!/usr/bin/env bash
# The benchmark harness (issue 4). See bench/README.md. Entry point: scripts/bench.sh.
#
#   scripts/bench.sh [--quick] [--records N] [--baseline-records M] [--skip-build] [--only a,b,c,d,e,f,g]
#
# Seeds (once) an emulator database with N hourly records over 30 days, starts the emulator
# (release build), and times on the same reported window (Hourly, covering every record):
#   (a) the CLI writing CSV: --concurrency 1, 4, 8
#   (b) Get-SubscriberUsageAggregate | Export-Csv in pwsh with the module (-ThrottleLimit 1 and 4)
#   (c) the baseline admin script (bench/baseline.ps1), on a documented subset when N is large
#   (d) the transfer floor: the same pages fetched with curl and discarded (bench/floor.sh)
#   (e) azs-usage sync of the same window into SQLite and into PostgreSQL (a throwaway cluster, bench/pg.sh)
#   (f) pricing: the (a) pull's CSV priced with docs/samples/ratecard.csv into FOCUS Parquet and CSV
#       (azs-usage price), compared with the pull's wall time
#   (g) the chargeback report from a million usage records (bench/report.sh; no emulator needed)
# Each run is checked for the expected record count; a wrong count is flagged in the table and the
# harness exits 1 at the end.
# Prints a markdown table and writes it to bench/results/latest.md (and records-N.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench="$root/bench"
work="$bench/work"
results="$bench/results"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 POWERSHELL_TELEMETRY_OPTOUT=1 POWERSHELL_UPDATECHECK=Off

records=1000000
baseline_records=""
build=1
only="a,b,c,d,e,f,g"
days=30
page_size=1000
while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) records=100000 ;;
    --records) records="$2"; shift ;;
    --baseline-records) baseline_records="$2"; shift ;;
    --skip-build) build=0 ;;
    --only) only="$2"; shift ;;
    -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bench: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
# The baseline script runs at a few thousand records/s: above 200k records it gets a subset.
if [[ -z $baseline_records ]]; then
  if (( records > 200000 )); then baseline_records=100000; else baseline_records=$records; fi
fi
want() { [[ ",$only," == *",$1,"* ]]; }
log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAILED: $*"; exit 1; }

mkdir -p "$work" "$results"

# ---- tools ------------------------------------------------------------------------------------
gnu_time=/usr/bin/time
need_apt=()
[[ -x $gnu_time ]] || need_apt+=(time)
command -v curl >/dev/null || need_apt+=(curl)
if (( ${#need_apt[@]} )); then
  log "installing ${need_apt[*]} (apt-get)"
  if [[ $(id -u) -eq 0 ]]; then apt-get install -y "${need_apt[@]}" >&2 || { apt-get update >&2 && apt-get install -y "${need_apt[@]}" >&2; }
  else sudo apt-get install -y "${need_apt[@]}" >&2; fi
fi

# ---- build ------------------------------------------------------------------------------------
cli="$root/target/release/azs-usage"
module_psd1="$root/out/AzsUsage/AzsUsage.psd1"
if (( build )); then
  if [[ -x $root/module/build.sh ]] && command -v dotnet >/dev/null; then
    log "building release: module/build.sh (native library, CLI, module)"
    "$root/module/build.sh" >&2 || die "module/build.sh"
  else
    log "building release: cargo build --release -p azs-usage-cli"
    (cd "$root" && cargo build --release -p azs-usage-cli >&2) || die "cargo build"
  fi
fi
[[ -x $cli ]] || die "no release CLI at $cli (run without --skip-build)"

pwsh=""
if want b || want c; then
  if [[ -x $root/.tools/pwsh/pwsh ]]; then pwsh="$root/.tools/pwsh/pwsh"
  elif [[ -x $root/scripts/dotnet-tools.sh ]] && command -v dotnet >/dev/null; then
    "$root/scripts/dotnet-tools.sh" >/dev/null && pwsh="$root/.tools/pwsh/pwsh"
  elif command -v pwsh >/dev/null; then pwsh="$(command -v pwsh)"; fi
fi
module_skip=""
if want b; then
  if [[ -z $pwsh ]]; then module_skip="no pwsh (scripts/dotnet-tools.sh needs the .NET SDK)"
  elif [[ ! -f $module_psd1 ]]; then module_skip="module not built (out/AzsUsage missing; module/build.sh)"
  elif [[ ! -f $root/module/bin/Release/AzsUsage.dll ]]; then module_skip="no release build of the module (module/bin/Release)"
  else
    # A private release copy: out/AzsUsage is shared and may be rebuilt with --debug while we run
    # (a Debug AzsUsage.dll runs MinOpts-jitted, a debug native library is several times slower).
    native=$(cd "$root/out/AzsUsage" && find runtimes -path '*/native/*' -type f | head -1)
    rm -rf "$work/AzsUsage"
    cp -r "$root/out/AzsUsage" "$work/AzsUsage"
    cp "$root/module/bin/Release/AzsUsage.dll" "$work/AzsUsage/AzsUsage.dll"
    cp "$root/target/release/$(basename "$native")" "$work/AzsUsage/$native"
    cp "$cli" "$work/AzsUsage/"
    module_psd1="$work/AzsUsage/AzsUsage.psd1"
  fi
fi

# ---- emulator -----------------------------------------------------------------------------------
db="$work/emu-$records.db"
meta="$work/emu-$records.meta"
ready="$work/ready-$records.json"
emu_pid=""
cleanup() {
  if [[ -n $emu_pid ]] && kill -0 "$emu_pid" 2>/dev/null; then
    kill "$emu_pid" 2>/dev/null || true
    wait "$emu_pid" 2>/dev/null || true
  fi
  rm -f "$work"/out-*.csv "$work"/out-*.csv.* "$work"/out-*.parquet "$work"/out-*.parquet.* 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -f $db && ! -f $meta ]]; then rm -f "$db" "$db"-*; fi   # half-seeded: start over
if [[ ! -f $db ]]; then
  log "seeding $db with ~$records hourly records over $days days (once; reused by later runs)"
  seeded_at=$(date -u +%s)
else
  seeded_at=$(sed -n 's/^seeded_at=//p' "$meta")
  log "reusing $db (seeded $(date -u -d "@$seeded_at" +%FT%TZ))"
fi
rm -f "$ready"
"$cli" emulator --database "$db" --records "$records" --days "$days" --page-size "$page_size" \
  --token-lifetime 14400 --ready-file "$ready" >"$work/emulator.log" 2>&1 &
emu_pid=$!
for _ in $(seq 1 3600); do
  [[ -s $ready ]] && break
  kill -0 "$emu_pid" 2>/dev/null || { cat "$work/emulator.log" >&2; die "the emulator exited"; }
  sleep 0.5
done
[[ -s $ready ]] || die "the emulator was not ready after 30 minutes"
[[ -f $meta ]] || printf 'seeded_at=%s\nrecords=%s\ndays=%s\n' "$seeded_at" "$records" "$days" >"$meta"

jqr() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); 
for k in sys.argv[2].split("."): d=d[int(k)] if isinstance(d,list) else d[k]
print(d)' "$ready" "$1"; }
endpoint=$(jqr adminEndpoint); endpoint="${endpoint%/}"
login=$(jqr loginEndpoint)
audience=$(jqr audience)
provider=$(jqr providerSubscriptionId)
tenant_id=$(jqr admin.tenantId)
client_id=$(jqr admin.clientId)
client_secret=$(jqr admin.clientSecret)
token=$(curl -sS --fail -X POST "${login}${tenant_id}/oauth2/token" \
  --data-urlencode grant_type=client_credentials --data-urlencode "client_id=$client_id" \
  --data-urlencode "client_secret=$client_secret" --data-urlencode "resource=$audience" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

# The window: from the day before the seeded data begins to the current hour (Hourly alignment).
start_epoch=$(( (seeded_at / 86400 - days - 1) * 86400 ))
end_epoch=$(( $(date -u +%s) / 3600 * 3600 ))
iso() { date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ; }
start=$(iso "$start_epoch"); end=$(iso "$end_epoch")
stats() {   # record count in [from, to) (no arguments: the whole store)
  local q=""
  [[ $# -eq 2 ]] && q="?reportedStartTime=$(iso "$1")&reportedEndTime=$(iso "$2")"
  curl -sS --fail -H "Authorization: Bearer $token" "$endpoint/_emulator/stats$q" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])'
}
store_total=$(stats)
expected=$(stats "$start_epoch" "$end_epoch")
log "window $start .. $end: $expected records (store: $store_total)"
(( expected > 0 )) || die "no records in the window"
window_note=""
if (( expected != store_total )); then
  window_note="The window holds $expected of the store's $store_total records (the rest are reported after the current hour)."
fi

# The baseline's subset: the shortest window from $start holding at least $baseline_records records.
b_end_epoch=$end_epoch b_expected=$expected
if (( baseline_records < expected )); then
  lo=$(( start_epoch / 3600 + 1 )) hi=$(( end_epoch / 3600 ))
  while (( lo < hi )); do
    mid=$(( (lo + hi) / 2 ))
    if (( $(stats "$start_epoch" $((mid * 3600))) >= baseline_records )); then hi=$mid; else lo=$((mid + 1)); fi
  done
  b_end_epoch=$(( lo * 3600 ))
  b_expected=$(stats "$start_epoch" "$b_end_epoch")
  log "baseline subset: $start .. $(iso "$b_end_epoch"): $b_expected records"
fi
b_end=$(iso "$b_end_epoch")

"$cli" meters --format csv >"$work/meters.csv"

# ---- runs ---------------------------------------------------------------------------------------
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
declare -a rows=()
declare -A wall rate rss count cpu_us

# run NAME EXPECTED COUNT_MODE(csv|floor|none) OUTFILE -- command...
run() {
  local name="$1" want_n="$2" mode="$3" out="$4"; shift 5
  local tf="$work/time-$name.txt" lf="$work/log-$name.txt"
  rm -f "$out"
  log "run $name: ${*//$token/<token>}"
  local e0; e0=$(cpu_ticks "$emu_pid")
  if ! "$gnu_time" -f '%e %M %U %S' -o "$tf" "$@" >"$lf" 2>&1; then
    tail -20 "$lf" >&2; die "run $name exited with an error (log: $lf)"
  fi
  local e1; e1=$(cpu_ticks "$emu_pid")
  local t m u s; read -r t m u s < <(tail -1 "$tf")
  local n
  case "$mode" in
    csv) [[ -f $out ]] || die "run $name wrote no $out"
         n=$(( $(wc -l <"$out") - 1 )) ;;
    floor) n=$(sed -n 's/.*records \([0-9]*\).*/\1/p' "$lf") ;;
    sync) n=$(sed -n 's/.* windows, \([0-9]*\) records stored.*/\1/p' "$lf" | tail -1) ;;
    price) [[ -f $out ]] || die "run $name wrote no $out"
           # Priced rows (the CLI's summary line) plus the records set aside in the unpriced side file.
           n=$(sed -n 's/^azs-usage: \([0-9]*\) records priced into.*/\1/p' "$lf")
           [[ -f $out.unpriced.csv ]] && n=$(( n + $(wc -l <"$out.unpriced.csv") - 1 )) ;;
  esac
  local flag=""
  if (( n != want_n )); then
    log "WRONG COUNT: run $name wrote $n records, expected $want_n (log: $lf)"
    wrong+=("$name: $n records instead of $want_n"); flag=" **WRONG COUNT (expected $want_n)**"
  fi
  local r; r=$(awk -v n="$n" -v t="$t" 'BEGIN { printf "%.0f", (t > 0 ? n / t : 0) }')
  local mb; mb=$(awk -v k="$m" 'BEGIN { printf "%.0f", k / 1024 }')
  local client_cpu; client_cpu=$(awk -v u="$u" -v s="$s" 'BEGIN { printf "%.1f", u + s }')
  local emu_cpu; emu_cpu=$(awk -v a="$e0" -v b="$e1" -v hz="$hz" 'BEGIN { printf "%.1f", (b - a) / hz }')
  if [[ -z $flag ]]; then wall[$name]=$t rate[$name]=$r rss[$name]=$mb count[$name]=$n; fi
  local us; us=$(awk -v c="$client_cpu" -v n="$n" 'BEGIN { printf "%.1f", (n > 0 ? c * 1e6 / n : 0) }')
  rows+=("$name|$n$flag|$t|$r|$mb|$client_cpu|$us|$emu_cpu")
  if [[ -z $flag ]]; then cpu_us[$name]=$us; fi
  log "  $name: $n records in ${t}s = $r records/s, peak RSS ${mb} MB, client CPU ${client_cpu}s, emulator CPU ${emu_cpu}s"
  [[ -n ${KEEP_OUTPUT:-} ]] || rm -f "$out" "$out.unpriced.csv"
}

skipped=()
wrong=()
if want d; then
  first="$endpoint/subscriptions/$provider/providers/Microsoft.Commerce.Admin/subscriberUsageAggregates?api-version=2015-06-01-preview&reportedStartTime=$start&reportedEndTime=$end&aggregationGranularity=Hourly&showDetails=true"
  run floor "$expected" floor /dev/null -- "$bench/floor.sh" "$first" "$token" "$page_size"
  floor_bytes=$(sed -n 's/.*bytes \([0-9]*\).*/\1/p' "$work/log-floor.txt")
  floor_pages=$(sed -n 's/.*pages \([0-9]*\).*/\1/p' "$work/log-floor.txt")
fi
usage_csv="$work/usage-$records.csv"
if want a; then
  for c in 1 4 8; do
    # The sequential pull's CSV is kept: the pricing runs (f) read it.
    keep=""; if [[ $c == 1 ]] && want f; then keep=1; fi
    KEEP_OUTPUT=$keep run "cli-c$c" "$expected" csv "$work/out-cli-c$c.csv" -- "$cli" subscriber-usage --emulator "$ready" \
      --start "$start" --end "$end" --granularity Hourly --concurrency "$c" --no-progress --output "$work/out-cli-c$c.csv"
    if [[ -n $keep ]]; then mv "$work/out-cli-c1.csv" "$usage_csv"; fi
  done
fi
if want f; then
  if [[ ! -f $usage_csv ]]; then
    log "pulling $usage_csv for the pricing runs (not timed)"
    "$cli" subscriber-usage --emulator "$ready" --start "$start" --end "$end" --granularity Hourly --concurrency 1 \
      --no-progress --output "$usage_csv" >&2 || die "pull for pricing"
  fi
  for fmt in parquet csv; do
    run "price-$fmt" "$expected" price "$work/out-price.$fmt" -- "$cli" price --rate-card "$root/docs/samples/ratecard.csv" \
      --input "$usage_csv" --output "$work/out-price.$fmt"
  done
  rm -f "$usage_csv"
fi
if want b; then
  if [[ -n $module_skip ]]; then skipped+=("module: $module_skip")
  else
    for tl in 1 4; do
      run "module-t$tl" "$expected" csv "$work/out-module-t$tl.csv" -- "$pwsh" -NoProfile -NonInteractive -File "$bench/module.ps1" \
        -ReadyFile "$ready" -Start "$start" -End "$end" -Output "$work/out-module-t$tl.csv" -Module "$module_psd1" -ThrottleLimit "$tl"
    done
  fi
fi
if want c; then
  if [[ -z $pwsh ]]; then skipped+=("baseline: no pwsh")
  else
    run baseline "$b_expected" csv "$work/out-baseline.csv" -- "$pwsh" -NoProfile -NonInteractive -File "$bench/baseline.ps1" \
      -ReadyFile "$ready" -Start "$start" -End "$b_end" -Output "$work/out-baseline.csv" -MetersCsv "$work/meters.csv"
  fi
fi

if want e; then
  # A fresh database each time; the row count is checked in the database itself, not only in the log.
  sdb="$work/sync.db"
  rm -f "$sdb" "$sdb"-* "$sdb".sync-lock
  run sync-sqlite "$expected" sync "$work/none" -- "$cli" sync --database "sqlite:$sdb" --emulator "$ready" \
    --stamp bench --since "$start" --until "$end" --no-directory
  n_db=$(python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from usage_records").fetchone()[0])' "$sdb")
  (( n_db == expected )) || { wrong+=("sync-sqlite: the database holds $n_db records instead of $expected"); unset 'wall[sync-sqlite]'; }
  rm -f "$sdb" "$sdb"-* "$sdb".sync-lock
  pg_dir="$work/pg" pg_port=$(( 20000 + RANDOM % 20000 ))
  if "$bench/pg.sh" start "$pg_dir" "$pg_port" >&2; then
    trap '"$bench/pg.sh" stop "$pg_dir"; cleanup' EXIT
    export PGPASSWORD=$(cat "$pg_dir/password")
    run sync-postgres "$expected" sync "$work/none" -- "$cli" sync --database "postgres://azs@127.0.0.1:$pg_port/bench?sslmode=disable" \
      --emulator "$ready" --stamp bench --since "$start" --until "$end" --no-directory
    pg_bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1 || command -v psql)")
    n_db=$("$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U azs -d bench -Atc "select count(*) from usage_records")
    (( n_db == expected )) || { wrong+=("sync-postgres: the database holds $n_db records instead of $expected"); unset 'wall[sync-postgres]'; }
    unset PGPASSWORD
    "$bench/pg.sh" stop "$pg_dir"
    trap cleanup EXIT
  else
    skipped+=("sync into PostgreSQL: no cluster (bench/pg.sh)")
  fi
fi

# ---- report -------------------------------------------------------------------------------------
label() {
  case "$1" in
    floor) echo "(d) transfer floor: curl, sequential, bodies discarded" ;;
    cli-c1) echo "(a) CLI → CSV, --concurrency 1" ;;
    price-parquet) echo "(f) price: usage CSV → FOCUS Parquet" ;;
    price-csv) echo "(f) price: usage CSV → FOCUS CSV" ;;
    cli-c*) echo "(a) CLI → CSV, --concurrency ${1#cli-c}" ;;
    module-t1) echo "(b) Get-SubscriberUsageAggregate \\| Export-Csv" ;;
    module-t*) echo "(b) same, -ThrottleLimit ${1#module-t}" ;;
    baseline) echo "(c) baseline script (Invoke-RestMethod loop)" ;;
    sync-sqlite) echo "(e) azs-usage sync → SQLite" ;;
    sync-postgres) echo "(e) azs-usage sync → PostgreSQL (binary COPY)" ;;
    *) echo "$1" ;;
  esac
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.1f", a / b; else printf "n/a" }'; }
has() { [[ -n ${wall[$1]:-} ]]; }
yes_no() { awk -v v="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=" ? v >= t : (op == "<=" ? v <= t : (op == "<" ? v < t : v > t))); print (ok ? "**met**" : "**missed**") }'; }

md="$work/table.md"
{
  echo "### $(printf "%'d" "$records" 2>/dev/null || echo "$records") hourly records ($(date -u +%F))"
  echo
  echo "Window \`$start\` .. \`$end\` (Hourly, showDetails), $expected records, pages of $page_size."
  [[ -n $window_note ]] && echo "$window_note"
  if (( b_expected != expected )) && want c; then
    echo "The baseline ran on a subset: \`$start\` .. \`$b_end\`, the first $b_expected records (at its speed the whole window would take $(awk -v n="$expected" -v r="${rate[baseline]:-1}" 'BEGIN { printf "%.0f", n / r / 60 }') minutes); compare records/s."
  fi
  [[ -n ${floor_bytes:-} ]] && echo "The floor moved $floor_pages pages, $(awk -v b="$floor_bytes" 'BEGIN { printf "%.0f", b / 1048576 }') MiB ($(awk -v b="$floor_bytes" -v n="$expected" 'BEGIN { printf "%.0f", b / n }') bytes per record)."
  echo
  echo "| run | records | wall (s) | records/s | peak RSS (MB) | client CPU (s) | client CPU µs/record | emulator CPU (s) |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|"
  for row in "${rows[@]}"; do
    IFS='|' read -r name n t r mb cc us ec <<<"$row"
    echo "| $(label "$name") | $n | $t | $r | $mb | $cc | $us | $ec |"
  done
  for s in "${skipped[@]}"; do echo "| skipped: $s | | | | | | | |"; done
  (( ${#wrong[@]} )) && echo && echo "**Runs with a wrong record count (excluded from the ratios):** $(IFS=';'; echo "${wrong[*]}")."
  echo
  echo "| ratio | value | target | |"
  echo "|---|---:|---|---|"
  best_c=""; best_c_wall=""
  for c in 4 8; do
    if has "cli-c$c" && { [[ -z $best_c_wall ]] || awk -v a="${wall[cli-c$c]}" -v b="$best_c_wall" 'BEGIN { exit !(a < b) }'; }; then
      best_c="cli-c$c"; best_c_wall=${wall[cli-c$c]}
    fi
  done
  if has baseline; then
    for n in cli-c1 $best_c; do
      has "$n" || continue
      v=$(ratio "${rate[$n]}" "${rate[baseline]}")
      echo "| $(label "$n") vs baseline, records/s | ${v}x | >= 20x | $(yes_no "$v" 20 ">=") |"
    done
    if has module-t1; then
      v=$(ratio "${rate[module-t1]}" "${rate[baseline]}")
      echo "| cmdlet \\| Export-Csv vs baseline, records/s | ${v}x | >= 5x | $(yes_no "$v" 5 ">=") |"
    fi
    for n in cli-c1 module-t1; do
      has "$n" || continue
      echo "| baseline client CPU per record / $(label "$n")'s (not a target; no emulator in it) | $(ratio "${cpu_us[baseline]}" "${cpu_us[$n]}")x | | |"
    done
  fi
  if has floor; then
    if has cli-c1; then
      v=$(ratio "${wall[cli-c1]}" "${wall[floor]}")
      echo "| sequential CLI wall / floor wall | ${v}x | <= 1.5x | $(yes_no "$v" 1.5 "<=") |"
    fi
    if [[ -n $best_c ]]; then
      v=$(ratio "${wall[$best_c]}" "${wall[floor]}")
      echo "| $(label "$best_c") wall / floor wall | ${v}x | < 1x | $(yes_no "$v" 1 "<") |"
    fi
  fi
  for n in cli-c1 cli-c4 cli-c8; do
    has "$n" || continue
    echo "| $(label "$n") peak RSS | ${rss[$n]} MB | < 100 MB$( (( records < 1000000 )) && echo " (at 1M)") | $(yes_no "${rss[$n]}" 100 "<") |"
  done
  for n in sync-sqlite sync-postgres; do
    if has "$n" && has cli-c1; then
      v=$(ratio "${wall[$n]}" "${wall[cli-c1]}")
      echo "| $(label "$n") wall / (a) CLI → CSV, --concurrency 1 wall | ${v}x | <= 1.5x | $(yes_no "$v" 1.5 "<=") |"
    fi
    if has "$n"; then
      echo "| $(label "$n") peak RSS | ${rss[$n]} MB | flat (< 100 MB) | $(yes_no "${rss[$n]}" 100 "<") |"
    fi
  done
  if has module-t1; then
    echo "| pwsh + module peak RSS | ${rss[module-t1]} MB | < 400 MB$( (( records < 1000000 )) && echo " (at 1M)") | $(yes_no "${rss[module-t1]}" 400 "<") |"
  fi
  if has price-parquet; then
    if has cli-c1; then
      v=$(ratio "${wall[price-parquet]}" "${wall[cli-c1]}")
      echo "| (f) price → Parquet wall / (a) CLI pull --concurrency 1 wall | ${v}x | <= 1x | $(yes_no "$v" 1 "<=") |"
    fi
    echo "| (f) price → Parquet peak RSS | ${rss[price-parquet]} MB | < 300 MB$( (( records < 1000000 )) && echo " (at 1M)") | $(yes_no "${rss[price-parquet]}" 300 "<") |"
  fi
  echo
  echo "Machine: $(nproc) cores ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)), $(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) RAM, $(. /etc/os-release && echo "$PRETTY_NAME"), kernel $(uname -r); shared with other jobs (expect noise; ratios come from one run)."
  echo "Versions: $(rustc --version 2>/dev/null | cut -d' ' -f1-2), $( [[ -n $pwsh ]] && echo "PowerShell $("$pwsh" -NoProfile -NonInteractive -Command '$PSVersionTable.PSVersion.ToString()' 2>/dev/null)," ) $(command -v dotnet >/dev/null && echo ".NET SDK $(dotnet --version 2>/dev/null),") $(curl --version | head -1 | cut -d' ' -f1-2), azs-usage $("$cli" --version | awk '{print $2}') ($(cd "$root" && git rev-parse --short HEAD 2>/dev/null))."
  echo "Command: \`scripts/bench.sh$( (( records == 100000 )) && echo " --quick")$( (( records != 100000 && records != 1000000 )) && echo " --records $records")\`. Peak RSS: GNU time %M (max resident set of the process tree's largest process). Emulator CPU: its utime+stime during the run."
} >"$md"

if want g; then
  # The report bench stands alone (its million records are generated in memory); its table follows.
  report_args=()
  (( build )) || report_args+=(--skip-build)
  if "$bench/report.sh" "${report_args[@]}" >"$work/report-table.md"; then
    { echo; cat "$work/report-table.md"; } >>"$md"
  else
    wrong+=("report: bench/report.sh failed")
  fi
fi

cp "$md" "$results/records-$records.md"
cp "$md" "$results/latest.md"
cat "$md"
log "written: bench/results/latest.md, bench/results/records-$records.md"
if (( ${#wrong[@]} )); then
  log "FAILED: wrong record counts: ${wrong[*]}"
  exit 1
fi
