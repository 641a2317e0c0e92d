#!/usr/bin/env bash
#
# Measures what the default exclusions (logs, sessions, transients, finished
# actions, visitor records) save: generates one site with `generate
# --plugins` and copies it twice on a throwaway cluster, once by default and
# once with --copy-all, and prints bytes copied and seconds of each as a
# Markdown table (ratios matter, not the absolute times).
#
# Usage: bench/exclusions.sh   (SIZE, RUNS, WPSTAGE_BIN as environment)

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
readonly SIZE="${SIZE:-200MB}"
readonly RUNS="${RUNS:-2}"
readonly WPSTAGE_BIN="${WPSTAGE_BIN:-${SCRIPT_DIR}/../target/release/wpstage}"
readonly PORT="${PORT:-55441}"
readonly SITE_URL="https://www.client-site.example"

WORK_DIR=""
PG_BIN=""

err() {
  echo "exclusions.sh: $*" >&2
}

# Runs a command as the postgres user when started as root (initdb refuses root).
as_pg() {
  if [[ "$(id -u)" -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cleanup() {
  if [[ -n "${WORK_DIR}" && -d "${WORK_DIR}/data" ]]; then
    as_pg "${PG_BIN}/pg_ctl" -D "${WORK_DIR}/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  if [[ -n "${WORK_DIR}" ]]; then
    rm -rf "${WORK_DIR}"
  fi
}

url() {
  echo "postgresql://postgres@127.0.0.1:${PORT}/$1"
}

# Copies the source into a new database; prints "bytes seconds".
copy() {
  local name="$1"
  shift
  as_pg "${PG_BIN}/createdb" -h 127.0.0.1 -p "${PORT}" "${name}"
  "${WPSTAGE_BIN}" sync --source "$(url src)" --target "$(url "${name}")" \
    --rewrite-url "${SITE_URL}=https://pr-1.staging.example" --anonymize-key bench \
    --progress-interval 0 --report json "$@" \
    | jq -r '"\(.bytes) \(.total_seconds) \([.excluded[]?.bytes] | add // 0)"'
}

main() {
  PG_BIN="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin | sort -V | tail -n 1)"
  WORK_DIR="$(mktemp -d)"
  chmod 755 "${WORK_DIR}"
  trap cleanup EXIT
  chown postgres "${WORK_DIR}" 2>/dev/null || true
  as_pg "${PG_BIN}/initdb" -D "${WORK_DIR}/data" -U postgres -A trust >/dev/null
  as_pg "${PG_BIN}/pg_ctl" -D "${WORK_DIR}/data" -l "${WORK_DIR}/log" -w \
    -o "-p ${PORT} -k ${WORK_DIR} -c fsync=off" start >/dev/null
  as_pg "${PG_BIN}/createdb" -h 127.0.0.1 -p "${PORT}" src
  "${WPSTAGE_BIN}" generate --target "$(url src)" --size "${SIZE}" --plugins \
    --report json >/dev/null
  echo "| run | mode | MB copied | MB left out | s |"
  echo "|---|---|---:|---:|---:|"
  local run mode bytes secs saved
  for ((run = 1; run <= RUNS; run++)); do
    for mode in default copy-all; do
      if [[ "${mode}" == "default" ]]; then
        read -r bytes secs saved < <(copy "d${run}")
      else
        read -r bytes secs saved < <(copy "a${run}" --copy-all)
      fi
      printf '| %d | %s | %.1f | %.1f | %.2f |\n' "${run}" "${mode}" \
        "$(bc -l <<<"${bytes}/1048576")" "$(bc -l <<<"${saved}/1048576")" "${secs}"
    done
  done
}

main "$@"
