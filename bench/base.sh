#!/usr/bin/env bash
#
# Benchmarks a PR database made from the base snapshot against one streamed
# from production, on the local platform. For each size in SIZES: generate
# production, time `wpstage base refresh` once (the one read of production),
# then RUNS rounds of `wpstage up --data-from production` and
# `wpstage up --data-from base`, each into a new PR environment that is
# verified by per-table row counts and removed again with `wpstage down`.
# Prints one Markdown table per size and writes the same text to OUT.
#
# Usage: bench/base.sh   (SIZES, RUNS, JOBS, SEED, WPSTAGE_BIN, OUT: see
#   bench/README.md)

set -euo pipefail

BASE_BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly BASE_BENCH_DIR
OUT="${OUT:-${BASE_BENCH_DIR}/results-latest-base.md}"
# Only wpstage runs here.
TOOLS="wpstage"
# Anonymization also drops spam comments (with their meta) and transients.
ANON_ROW_LOSS_TABLES="${ANON_ROW_LOSS_TABLES:-(usermeta|posts|comments|commentmeta|options|signups|registration_log|woocommerce_sessions|woocommerce_payment_tokens|woocommerce_payment_tokenmeta|woocommerce_api_keys|wc_webhooks)}"
# shellcheck source=bench/sync.sh
source "${BASE_BENCH_DIR}/sync.sh"

# A fixed key: every PR environment's pseudonyms match the base's.
readonly BENCH_KEY="bench-only anonymization key"
readonly PR_PREFIX="bench-pr-"

# Runs wpstage on the local platform. Args: run dir, wpstage arguments...
run_local() {
  local run="$1"
  shift
  WPSTAGE_SOURCE_URL="$(pg_url_pw "${PROD_PORT}" src)" \
    WPSTAGE_LOCAL_SERVER_URL="$(pg_url_pw "${STAGING_PORT}" postgres)" \
    WPSTAGE_ANONYMIZE_KEY="${BENCH_KEY}" \
    "${TIME_BIN}" -f %M -o "${run}/rss.1" "${WPSTAGE_BIN}" "$@" \
    --platform local --prefix "${PR_PREFIX}" --jobs "${JOBS}" --report json \
    >"${run}/report.json" 2>>"${run}/log"
}

# Times one command; prints the wall seconds or fails. Args: run dir, wpstage
# arguments...
timed() {
  local run="$1" start end
  start="$(date +%s.%N)"
  run_local "$@" || {
    err "FAILED: ${*:2}; last lines of its output:"
    mask <"${run}/log" | tail -n 15 >&2
    return 1
  }
  end="$(date +%s.%N)"
  awk -v a="${start}" -v b="${end}" 'BEGIN { printf "%.2f", b - a }'
}

# Prints the peak RSS in MB of a run. Args: run dir.
peak_mb() {
  local kb
  kb="$(tail -n 1 "$1/rss.1")"
  [[ "${kb}" =~ ^[0-9]+$ ]] || kb=0
  awk -v k="${kb}" 'BEGIN { printf "%.0f", k / 1024 }'
}

# Times the clone alone with each strategy of CREATE DATABASE (PostgreSQL 15+),
# side by side: FILE_COPY checkpoints the cluster, WAL_LOG writes the base to
# the WAL instead.
clone_strategies() {
  local strategy start end
  for strategy in FILE_COPY WAL_LOG; do
    sql "${STAGING_PORT}" postgres "CHECKPOINT"
    start="$(date +%s.%N)"
    sql "${STAGING_PORT}" postgres \
      "CREATE DATABASE bench_clone TEMPLATE wpstage_base STRATEGY ${strategy}" \
      || return 0
    end="$(date +%s.%N)"
    sql "${STAGING_PORT}" postgres "DROP DATABASE bench_clone"
    err "${SIZE}: clone alone, STRATEGY ${strategy}: $(awk -v a="${start}" \
      -v b="${end}" 'BEGIN { printf "%.2f", b - a }') s"
  done
}

# Benchmarks one size and prints its table. Args: size.
bench_base_size() {
  local size="$1" src_counts="${WORK_DIR}/src-counts.tsv" src_mb
  local run wall round mode pr=0 refresh_s refresh_rss
  local -A walls=() ok=() rss=()
  SIZE="${size}"
  err "${size}: generating source (${GENERATOR})"
  generate_source src "${size}"
  table_counts "${PROD_PORT}" src >"${src_counts}"
  src_mb="$(sql "${PROD_PORT}" postgres "SELECT pg_database_size('src') / 1048576")"

  run="${WORK_DIR}/runs/${size}-base-refresh"
  mkdir -p "${run}"
  sql "${PROD_PORT}" postgres "CHECKPOINT"
  refresh_s="$(timed "${run}" base refresh)" || { ANY_FAILED=1; return; }
  refresh_rss="$(peak_mb "${run}")"
  err "${size}: base refresh ${refresh_s} s"

  for ((round = 0; round < RUNS; round++)); do
    for mode in production base; do
      pr=$((pr + 1))
      run="${WORK_DIR}/runs/${size}-${mode}-${round}"
      mkdir -p "${run}"
      sql "${STAGING_PORT}" postgres "CHECKPOINT"
      if wall="$(timed "${run}" up --pr "${pr}" --sha bench --data-from "${mode}")" \
        && verify_copy "${src_counts}" "${PR_PREFIX}${pr}" 1 "${run}/log"; then
        walls[${mode}]+="${wall} "
        ok[${mode}]=$((${ok[${mode}]:-0} + 1))
        err "${size} round $((round + 1)): up --data-from ${mode} ${wall} s"
        # The phases `up` logged (clone, each table's rewrite) for the notes.
        mask <"${run}/log" | grep -E 'base snapshot|rewrote' >&2 || true
      else
        err "${size} round $((round + 1)): up --data-from ${mode} FAILED"
        mask <"${run}/log" | grep '^verify:' | head -n 20 >&2 || true
        ANY_FAILED=1
      fi
      rss[${mode}]="$(peak_mb "${run}")"
      run_local "${run}" down --pr "${pr}" || ANY_FAILED=1
    done
  done
  clone_strategies
  sql "${PROD_PORT}" postgres "DROP DATABASE IF EXISTS src WITH (FORCE)"

  local full="" med ratio
  if [[ -n "${walls[production]:-}" ]]; then
    # shellcheck disable=SC2086 # word splitting of the list is intended
    full="$(median ${walls[production]})"
  fi
  echo "## ${size} (source database ${src_mb} MB on disk), local platform"
  echo
  echo "| what | runs ok | median wall s | ratio to up from production | peak RSS MB |"
  echo "|---|---|---|---|---|"
  echo "| wpstage base refresh (once) | 1/1 | ${refresh_s} | - | ${refresh_rss} |"
  for mode in production base; do
    med="-"
    ratio="-"
    if [[ -n "${walls[${mode}]:-}" ]]; then
      # shellcheck disable=SC2086 # word splitting of the list is intended
      med="$(median ${walls[${mode}]})"
      if [[ -n "${full}" ]]; then
        ratio="$(awk -v a="${med}" -v b="${full}" 'BEGIN { printf "%.2f", a / b }')"
      fi
    fi
    printf '| wpstage up --data-from %s | %s/%s | %s | %s | %s |\n' "${mode}" \
      "${ok[${mode}]:-0}" "${RUNS}" "${med}" "${ratio}" "${rss[${mode}]:-0}"
  done
  echo
}

base_main() {
  local size results
  check_prerequisites
  PG_BIN="$(find_pg_bin)"
  find_wpstage
  setup_clusters
  results="${WORK_DIR}/results.md"
  machine_header >"${results}"
  cat "${results}"
  for size in ${SIZES}; do
    bench_base_size "${size}" >"${WORK_DIR}/size.md"
    cat "${WORK_DIR}/size.md"
    cat "${WORK_DIR}/size.md" >>"${results}"
  done
  cp "${results}" "${OUT}"
  err "wrote ${OUT}"
  if ((ANY_FAILED)); then
    exit 1
  fi
}

base_main "$@"
