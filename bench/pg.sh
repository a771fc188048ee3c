#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the benchmark (the tests have their own, tests/rust/pg.rs).
#   bench/pg.sh start DIR PORT   initdb into DIR (as the postgres user when run as root) and start it on
#                                127.0.0.1:PORT with password authentication; user azs, password in DIR/password
#   bench/pg.sh stop DIR         stop it
# Installs Debian's postgresql with apt-get when no server binaries are found.
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?cluster folder}
bin=""
for d in "${AZS_USAGE_PG_BIN:-}" /usr/lib/postgresql/*/bin; do [[ -n $d && -x $d/initdb ]] && bin=$d; done
if [[ -z $bin ]] && command -v initdb >/dev/null; then bin=$(dirname "$(command -v initdb)"); fi
if [[ -z $bin ]]; then
  [[ $(id -u) == 0 ]] || { echo "pg.sh: install PostgreSQL (apt-get install postgresql)" >&2; exit 1; }
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  for d in /usr/lib/postgresql/*/bin; do [[ -x $d/initdb ]] && bin=$d; done
fi
as_owner() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
case $cmd in
  start)
    port=${3:?port}
    rm -rf "$dir"; mkdir -p "$dir/sock"
    printf 'bench-Pa55' >"$dir/password"
    [[ $(id -u) == 0 ]] && chown -R postgres:postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -U azs --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C \
      -N "--pwfile=$dir/password" >/dev/null
    # Durable settings as shipped (fsync on): the benchmark measures what a real server would do.
    as_owner "$bin/pg_ctl" -D "$dir/data" -w -l "$dir/server.log" \
      -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1" start >/dev/null
    as_owner "$bin/psql" -h "$dir/sock" -p "$port" -U azs -d postgres -qc "CREATE DATABASE bench" >/dev/null
    ;;
  stop)
    [[ -d $dir/data ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true
    ;;
  *) echo "pg.sh: start|stop" >&2; exit 2 ;;
esac
