#!/usr/bin/env bash
# (d) of the benchmark: the transfer floor. Fetches the same pages as the other runs with curl,
# one request per page, following nextLink, and discards the bodies (they land in a tmpfs file
# that each page overwrites). The only per-page work besides curl is reading the last 2 KiB of
# the body (tail -c, a seek) and a bash regex for nextLink: no JSON parsing. The records of the
# last page are counted with grep; every earlier page holds PAGE_SIZE records.
# Usage: bench/floor.sh URL TOKEN PAGE_SIZE      prints "pages P records R bytes B"
set -euo pipefail
url="$1" token="$2" page_size="$3"
dir=/dev/shm; [[ -w $dir ]] || dir="${TMPDIR:-/tmp}"
body="$dir/azs-floor.$$"
trap 'rm -f "$body"' EXIT
pages=0 bytes=0 records=0
while [[ -n $url ]]; do
  size=$(curl -sS --fail -H "Authorization: Bearer $token" -o "$body" -w '%{size_download}' "$url")
  pages=$((pages + 1)) bytes=$((bytes + size))
  tail_text=$(tail -c 2048 "$body")
  if [[ $tail_text =~ \"nextLink\":\"([^\"]+)\" ]]; then
    url="${BASH_REMATCH[1]}"
    records=$((records + page_size))
  else
    url=""
    records=$((records + $(grep -o '"meterId"' "$body" | wc -l)))
  fi
done
echo "pages $pages records $records bytes $bytes"
