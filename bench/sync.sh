#!/usr/bin/env bash
#
# Benchmarks database copy tools against each other on this machine.
#
# Starts two throwaway PostgreSQL clusters ("prod" and "staging") with the
# same settings, generates a WordPress database of each size in SIZES on
# "prod", and copies it to a fresh empty database on "staging" with
# `pg_dump | psql`, `pgcopydb clone`, `wpstage sync` and (when the flag
# exists) `wpstage sync --no-anonymize`, alternating the tools round by
# round. Every copy is verified by per-table row counts. Prints one Markdown
# table per size and writes the same text to OUT.
#
# With --net RATE:RTT (repeatable, e.g. --net 100mbit:20ms) every copy runs
# through bench/netshape, a shaping TCP proxy in front of each server (rate
# and RTT/2 one-way delay per direction), and the tables add the bytes that
# crossed the shaped links.
#
# Usage: bench/sync.sh [--net RATE:RTT]...
#   (other knobs are environment variables, see bench/README.md)

set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly SCRIPT_DIR
REPO_ROOT="$(cd "${SCRIPT_DIR}/.." && pwd)"
readonly REPO_ROOT

readonly SIZES="${SIZES:-100MB 500MB 1GB}"
readonly RUNS="${RUNS:-3}"
readonly JOBS="${JOBS:-2}"
readonly SEED="${SEED:-1}"
readonly OUT="${OUT:-${REPO_ROOT}/bench/results-latest.md}"
readonly GENERATOR="${GENERATOR:-wpstage}"
readonly TOOLS="${TOOLS:-pg_dump pgcopydb wpstage wpstage-no-anon}"
readonly PGCOPYDB_SPLIT="${PGCOPYDB_SPLIT:-auto}"
readonly BUILD="${BUILD:-1}"
readonly PG_EXTRA_CONF="${PG_EXTRA_CONF:-}"
# Tables (name suffix regex) whose rows the built-in anonymization rules may
# delete or truncate: only there may an anonymized copy hold fewer rows.
readonly ANON_ROW_LOSS_TABLES="${ANON_ROW_LOSS_TABLES:-(usermeta|posts|signups|registration_log|woocommerce_sessions|woocommerce_payment_tokens|woocommerce_payment_tokenmeta|woocommerce_api_keys|wc_webhooks)}"
readonly TIME_BIN=/usr/bin/time
# The generator's default production URL, and a preview URL to rewrite it to.
readonly SITE_URL="https://www.client-site.example"
readonly PREVIEW_URL="https://pr-42.staging.example"
readonly DB_USER=postgres

WPSTAGE_BIN="${WPSTAGE_BIN:-${REPO_ROOT}/target/release/wpstage}"
NETSHAPE_BIN="${NETSHAPE_BIN:-${REPO_ROOT}/target/netshape/release/netshape}"
# Shaped links to run every size over ("RATE:RTT"); "direct" = no proxy.
NETS=()
# Ports the copying tools connect to: the servers' own, or their proxies'.
SRC_PORT=""
DST_PORT=""
PROXY_PIDS=()
WORK_DIR=""
SIZE=""
RUN_AS=()
PG_BIN=""
PASSWORD=""
PROD_PORT=""
STAGING_PORT=""
NO_ANON_FLAG=0
ANY_FAILED=0

# Prints a message to stderr.
err() {
  echo "sync.sh: $*" >&2
}

# Prints a message to stderr and exits non-zero.
die() {
  err "$*"
  exit 1
}

# Hides the cluster password in text read from stdin.
mask() {
  if [[ -n "${PASSWORD}" ]]; then
    sed "s/${PASSWORD}/********/g"
  else
    cat
  fi
}

# Stops both clusters and deletes the temp dir. Runs on every exit.
cleanup() {
  local name
  stop_proxies
  if [[ -n "${WORK_DIR}" && -d "${WORK_DIR}" ]]; then
    for name in prod staging; do
      if [[ -f "${WORK_DIR}/${name}/data/postmaster.pid" ]]; then
        "${RUN_AS[@]}" "${PG_BIN}/pg_ctl" -D "${WORK_DIR}/${name}/data" \
          -m immediate -w stop >/dev/null 2>&1 || true
      fi
    done
    rm -rf "${WORK_DIR}"
  fi
}

# Finds the directory holding initdb, pg_ctl and postgres.
find_pg_bin() {
  local dir
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir)"
    if [[ -x "${dir}/initdb" ]]; then
      echo "${dir}"
      return
    fi
  fi
  local -a dirs=(/usr/lib/postgresql/*/bin)
  # The glob sorts 10 before 9; take the highest version by sorting again.
  for dir in $(printf '%s\n' "${dirs[@]}" | sort -V -r); do
    if [[ -x "${dir}/initdb" ]]; then
      echo "${dir}"
      return
    fi
  done
  die "no PostgreSQL server binaries found (pg_config --bindir or" \
    "/usr/lib/postgresql/*/bin); on Debian: apt-get install postgresql"
}

# Checks that every tool the selected runs need is installed.
check_prerequisites() {
  local cmd
  [[ -x "${TIME_BIN}" ]] \
    || die "${TIME_BIN} is missing (peak RSS); on Debian: apt-get install time"
  for cmd in psql pg_dump; do
    command -v "${cmd}" >/dev/null 2>&1 \
      || die "${cmd} is missing; on Debian: apt-get install postgresql-client"
  done
  if [[ " ${TOOLS} " == *" pgcopydb "* ]]; then
    command -v pgcopydb >/dev/null 2>&1 \
      || die "pgcopydb is missing; on Debian: apt-get install pgcopydb" \
        "(or leave it out of TOOLS)"
  fi
  if [[ "${GENERATOR}" == "pgbench" ]]; then
    command -v pgbench >/dev/null 2>&1 \
      || die "pgbench is missing; on Debian: apt-get install postgresql-contrib"
  fi
}

# Makes sure the wpstage binary exists when a run needs it.
find_wpstage() {
  if [[ "${GENERATOR}" != "wpstage" && " ${TOOLS} " != *" wpstage"* ]]; then
    return
  fi
  if [[ ! -x "${WPSTAGE_BIN}" ]]; then
    if [[ "${BUILD}" == "1" ]] && command -v cargo >/dev/null 2>&1; then
      err "building wpstage (cargo build --release)"
      (cd "${REPO_ROOT}" && cargo build --release --quiet)
    fi
  fi
  [[ -x "${WPSTAGE_BIN}" ]] \
    || die "wpstage binary not found at ${WPSTAGE_BIN}; set WPSTAGE_BIN," \
      "or run with GENERATOR=pgbench TOOLS='pg_dump pgcopydb'"
  if [[ " ${TOOLS} " == *" wpstage-no-anon "* || " ${TOOLS} " == *" wpstage-rewrite-only "* ]]; then
    if "${WPSTAGE_BIN}" sync --help 2>&1 | grep -q -- '--no-anonymize'; then
      NO_ANON_FLAG=1
    else
      echo "note: 'wpstage sync --help' lists no --no-anonymize flag;" \
        "skipping the wpstage --no-anonymize runs" >&2
    fi
  fi
}

# Builds the shaping proxy when a --net run needs it.
find_netshape() {
  if [[ "${NETS[*]}" == "direct" ]]; then
    return
  fi
  if [[ ! -x "${NETSHAPE_BIN}" ]] && command -v cargo >/dev/null 2>&1; then
    err "building bench/netshape (cargo build --release)"
    CARGO_TARGET_DIR="${REPO_ROOT}/target/netshape" cargo build --release \
      --quiet --manifest-path "${SCRIPT_DIR}/netshape/Cargo.toml"
  fi
  [[ -x "${NETSHAPE_BIN}" ]] \
    || die "netshape not found at ${NETSHAPE_BIN}; build it with" \
      "cargo build --release --manifest-path bench/netshape/Cargo.toml"
}

# Checks a --net value (RATE:RTT, e.g. 100mbit:20ms). Args: value.
check_net() {
  [[ "$1" =~ ^[0-9.]+(k|m|g)?bit:[0-9.]+ms$ ]] \
    || die "--net wants RATE:RTT like 100mbit:20ms, not '$1'"
}

# Starts one proxy per server for a shaped link and points SRC_PORT and
# DST_PORT at them. Args: net (RATE:RTT or direct), run dir.
start_proxies() {
  local net="$1" run="$2" rate rtt delay side port target
  SRC_PORT="${PROD_PORT}"
  DST_PORT="${STAGING_PORT}"
  PROXY_PIDS=()
  if [[ "${net}" == "direct" ]]; then
    return
  fi
  rate="${net%%:*}"
  rtt="${net#*:}"
  # Each direction gets half the round trip.
  delay="$(awk -v r="${rtt%ms}" 'BEGIN { printf "%.3fms", r / 2 }')"
  for side in src dst; do
    port="$(free_port)"
    if [[ "${side}" == "src" ]]; then
      target="${PROD_PORT}"
      SRC_PORT="${port}"
    else
      target="${STAGING_PORT}"
      DST_PORT="${port}"
    fi
    "${NETSHAPE_BIN}" --listen "127.0.0.1:${port}" \
      --connect "127.0.0.1:${target}" --rate "${rate}" --delay "${delay}" \
      --stats "${run}/wire.${side}" 2>>"${run}/log" &
    PROXY_PIDS+=("$!")
  done
  wait_for_port "${SRC_PORT}"
  wait_for_port "${DST_PORT}"
}

# Waits up to 5 s until something listens on a port. Args: port.
wait_for_port() {
  local tries
  for ((tries = 0; tries < 50; tries++)); do
    if (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
      return
    fi
    sleep 0.1
  done
  die "the shaping proxy did not start on port $1"
}

# Stops the proxies this script started.
stop_proxies() {
  local pid
  for pid in "${PROXY_PIDS[@]}"; do
    kill "${pid}" 2>/dev/null || true
    wait "${pid}" 2>/dev/null || true
  done
  PROXY_PIDS=()
}

# Prints the bytes both proxies carried (both directions). Args: run dir.
wire_bytes() {
  local total=0 f up down rest
  for f in "$1"/wire.*; do
    [[ -f "${f}" ]] || continue
    read -r up down rest <"${f}"
    total=$((total + up + down))
  done
  echo "${total}"
}

# Prints a TCP port on 127.0.0.1 that nothing listens on.
free_port() {
  local port tries
  for ((tries = 0; tries < 200; tries++)); do
    port=$((20000 + RANDOM % 40000))
    if ! (: <"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      echo "${port}"
      return
    fi
  done
  die "no free TCP port found"
}

# Creates and starts one cluster. Args: name, port.
start_cluster() {
  local name="$1" port="$2"
  local dir="${WORK_DIR}/${name}"
  mkdir -p "${dir}/sock"
  (umask 077 && printf '%s\n' "${PASSWORD}" >"${dir}/pwfile")
  if [[ "${EUID}" -eq 0 ]]; then
    chown -R "${DB_USER}:" "${dir}"
  fi
  "${RUN_AS[@]}" "${PG_BIN}/initdb" -D "${dir}/data" -U "${DB_USER}" \
    --pwfile="${dir}/pwfile" --auth-local=trust \
    --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 \
    >"${dir}/initdb.log" 2>&1 \
    || { tail -n 20 "${dir}/initdb.log" >&2; die "initdb failed (${name})"; }
  rm -f "${dir}/pwfile"
  # Identical settings on both clusters; only the port differs.
  {
    echo "listen_addresses = '127.0.0.1'"
    echo "port = ${port}"
    echo "unix_socket_directories = '${dir}/sock'"
    echo "max_connections = 50"
    echo "shared_buffers = 256MB"
    echo "max_wal_size = 4GB"
    echo "checkpoint_timeout = 30min"
    echo "log_min_messages = warning"
    if [[ -n "${PG_EXTRA_CONF}" ]]; then
      printf '%s\n' "${PG_EXTRA_CONF}"
    fi
  } >>"${dir}/data/postgresql.conf"
  "${RUN_AS[@]}" "${PG_BIN}/pg_ctl" -D "${dir}/data" -l "${dir}/server.log" \
    -w -t 60 start >/dev/null \
    || { tail -n 20 "${dir}/server.log" >&2; die "cluster ${name} did not start"; }
}

# Prints a libpq URL without password (the password comes from PGPASSFILE).
# Args: port, database.
pg_url() {
  echo "postgresql://${DB_USER}@127.0.0.1:$1/$2"
}

# Prints a URL with the password, for wpstage (tokio-postgres reads no
# .pgpass). Never print its output. Args: port, database.
pg_url_pw() {
  echo "postgresql://${DB_USER}:${PASSWORD}@127.0.0.1:$1/$2"
}

# Runs SQL on a database; unaligned, tab-separated output.
# Args: port, database, sql.
sql() {
  PGOPTIONS='-c client_min_messages=warning' \
    psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 -d "$(pg_url "$1" "$2")" -c "$3"
}

# Drops and recreates an empty database. Args: port, database.
recreate_db() {
  sql "$1" postgres "DROP DATABASE IF EXISTS \"$2\" WITH (FORCE)"
  sql "$1" postgres "CREATE DATABASE \"$2\""
}

# Converts a size like 500MB or 1GB to bytes.
size_bytes() {
  local size="${1^^}"
  [[ "${size}" =~ ^([0-9]+)(KB|MB|GB)?$ ]] || die "bad size: $1"
  local n="${BASH_REMATCH[1]}"
  case "${BASH_REMATCH[2]}" in
    KB) echo $((n * 1024)) ;;
    MB) echo $((n * 1024 * 1024)) ;;
    GB) echo $((n * 1024 * 1024 * 1024)) ;;
    *) echo "${n}" ;;
  esac
}

# Fills the source database. Args: database, size.
generate_source() {
  local db="$1" size="$2" scale
  recreate_db "${PROD_PORT}" "${db}"
  case "${GENERATOR}" in
    wpstage)
      WPSTAGE_TARGET_URL="$(pg_url_pw "${PROD_PORT}" "${db}")" \
        "${WPSTAGE_BIN}" generate --size "${size}" --seed "${SEED}" \
        >"${WORK_DIR}/generate.log" 2>&1 \
        || { mask <"${WORK_DIR}/generate.log" | tail -n 20 >&2;
             die "wpstage generate failed (${size})"; }
      ;;
    pgbench)
      # pgbench scale 1 is about 15 MB with indexes.
      scale=$(( $(size_bytes "${size}") / (15 * 1024 * 1024) ))
      ((scale >= 1)) || scale=1
      pgbench -i -q -s "${scale}" "$(pg_url "${PROD_PORT}" "${db}")" \
        >"${WORK_DIR}/generate.log" 2>&1 \
        || { tail -n 20 "${WORK_DIR}/generate.log" >&2;
             die "pgbench -i failed (${size})"; }
      ;;
    *) die "GENERATOR must be wpstage or pgbench, not ${GENERATOR}" ;;
  esac
  sql "${PROD_PORT}" "${db}" "VACUUM ANALYZE" >/dev/null
}

# Prints "schema.table<TAB>rows" for every table of the source, sorted.
# Args: port, database.
table_counts() {
  local port="$1" db="$2" query
  query="$(sql "${port}" "${db}" "
    SELECT string_agg(format('SELECT %L, count(*) FROM %I.%I',
                             n.nspname || '.' || c.relname,
                             n.nspname, c.relname), ' UNION ALL ')
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_%'")"
  if [[ -n "${query}" ]]; then
    sql "${port}" "${db}" "${query}" | LC_ALL=C sort
  fi
}

# Compares a target's row counts with the source's. Args: file with the
# source counts, target database, allow row loss (0/1), log file.
verify_copy() {
  local src_counts="$1" db="$2" allow_loss="$3" log="$4"
  local dst_counts="${WORK_DIR}/dst-counts.tsv" table want got bad=0
  table_counts "${STAGING_PORT}" "${db}" >"${dst_counts}" || return 1
  while IFS=$'\t' read -r table want; do
    got="$(awk -F '\t' -v t="${table}" '$1 == t { print $2 }' "${dst_counts}")"
    if [[ -z "${got}" ]]; then
      echo "verify: ${table} missing in target" >>"${log}"
      bad=1
    elif ((got != want)); then
      if ((allow_loss == 1 && got < want)) \
        && [[ "${table}" =~ ${ANON_ROW_LOSS_TABLES}$ ]]; then
        echo "verify: ${table} ${got}/${want} rows (anonymization)" >>"${log}"
      else
        echo "verify: ${table} has ${got} rows, source ${want}" >>"${log}"
        bad=1
      fi
    fi
  done <"${src_counts}"
  return "${bad}"
}

# Prints pgcopydb's --split-tables-larger-than value for a size.
pgcopydb_split() {
  local mb
  if [[ "${PGCOPYDB_SPLIT}" != "auto" ]]; then
    echo "${PGCOPYDB_SPLIT}"
    return
  fi
  # One eighth of the data set, at least 32 MB: the largest table splits
  # into enough parts to keep every job busy.
  mb=$(( $(size_bytes "$1") / 8 / 1024 / 1024 ))
  ((mb >= 32)) || mb=32
  echo "${mb}MB"
}

# Runs one copy with the named tool into the target database.
# Args: tool, source database, target database, run dir.
copy_with() {
  local tool="$1" src_db="$2" dst_db="$3" run="$4"
  local src dst split
  src="$(pg_url "${SRC_PORT}" "${src_db}")"
  dst="$(pg_url "${DST_PORT}" "${dst_db}")"
  case "${tool}" in
    pg_dump)
      "${TIME_BIN}" -f %M -o "${run}/rss.1" pg_dump "${src}" 2>>"${run}/log" \
        | "${TIME_BIN}" -f %M -o "${run}/rss.2" \
          psql -X -v ON_ERROR_STOP=1 -q "${dst}" >>"${run}/log" 2>&1
      ;;
    pgcopydb)
      split="$(pgcopydb_split "${SIZE}")"
      "${TIME_BIN}" -f %M -o "${run}/rss.1" pgcopydb clone \
        --source "${src}" --target "${dst}" --dir "${run}/pgcopydb" \
        --table-jobs "${JOBS}" --index-jobs "${JOBS}" \
        --split-tables-larger-than "${split}" >>"${run}/log" 2>&1
      ;;
    wpstage | wpstage-no-anon | wpstage-rewrite-only)
      # The real job: the site URL rewritten to a preview URL and personal data anonymized.
      # The plain variant runs no transform at all (the overhead baseline).
      # --copy-all: the same rows as the other tools (logs and other waste are left out by
      # default; bench/exclusions.sh measures what that saves).
      local extra=(--copy-all --rewrite-url "${SITE_URL}=${PREVIEW_URL}")
      if [[ "${tool}" == "wpstage-no-anon" ]]; then
        extra=(--copy-all --no-anonymize)
      elif [[ "${tool}" == "wpstage-rewrite-only" ]]; then
        # What a copy from the (already anonymized) base snapshot runs.
        extra+=(--no-anonymize)
      fi
      WPSTAGE_SOURCE_URL="$(pg_url_pw "${SRC_PORT}" "${src_db}")" \
        WPSTAGE_TARGET_URL="$(pg_url_pw "${DST_PORT}" "${dst_db}")" \
        "${TIME_BIN}" -f %M -o "${run}/rss.1" "${WPSTAGE_BIN}" sync \
        --jobs "${JOBS}" --report json "${extra[@]}" \
        >"${run}/report.json" 2>>"${run}/log"
      ;;
    *) die "unknown tool ${tool}" ;;
  esac
}

# Prints the median of the arguments.
median() {
  printf '%s\n' "$@" | sort -g | awk '
    { v[NR] = $1 }
    END {
      if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
      printf "%.2f\n", m
    }'
}

# Prints the label of a tool for the tables.
label() {
  case "$1" in
    pg_dump) echo 'pg_dump | psql' ;;
    pgcopydb) echo 'pgcopydb clone' ;;
    wpstage) echo 'wpstage sync (URL rewrite + anonymization)' ;;
    wpstage-no-anon) echo 'wpstage sync --no-anonymize (no transforms)' ;;
    wpstage-rewrite-only) echo 'wpstage sync --no-anonymize, URL rewrite only (a copy from the base)' ;;
  esac
}

# Prints the Markdown header describing the machine and the set-up.
machine_header() {
  local model mem pg_version pgcopydb_version wpstage_version
  model="$(awk -F ': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
  mem="$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
  pg_version="$(sql "${PROD_PORT}" postgres "SHOW server_version")"
  pgcopydb_version="$(pgcopydb --version 2>&1 \
    | sed -n 's/.*pgcopydb version \([^ ]*\).*/\1/p' | head -n 1)"
  wpstage_version="$("${WPSTAGE_BIN}" --version 2>/dev/null | head -n 1)" || true
  echo "# wpstage sync benchmark"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- machine: $(nproc) CPUs (${model:-unknown}), ${mem} RAM"
  # Other work on the machine skews absolute times; ratios within one run less so.
  echo "- load average at start (1/5/15 min): $(cut -d ' ' -f 1-3 /proc/loadavg)"
  echo "- PostgreSQL: ${pg_version} (two local clusters, same settings:" \
    "shared_buffers 256MB, max_wal_size 4GB${PG_EXTRA_CONF:+, ${PG_EXTRA_CONF//$'\n'/, }})"
  echo "- pgcopydb: ${pgcopydb_version:-not installed}"
  echo "- wpstage: ${wpstage_version:-unknown}"
  echo "- source data: ${GENERATOR}, seed ${SEED}; rounds: ${RUNS}," \
    "tools alternating; --jobs ${JOBS}"
  echo
}

# Benchmarks every tool on one size over every link in NETS and prints one
# Markdown table per link. Args: size.
bench_size() {
  local size="$1"
  local src_db="src" src_counts="${WORK_DIR}/src-counts.tsv"
  local -a tools=()
  local tool net src_mb
  SIZE="${size}"

  for tool in ${TOOLS}; do
    case "${tool}" in
      pg_dump | pgcopydb | wpstage) tools+=("${tool}") ;;
      wpstage-no-anon | wpstage-rewrite-only) ((NO_ANON_FLAG == 0)) || tools+=("${tool}") ;;
      *) die "unknown tool in TOOLS: ${tool}" ;;
    esac
  done

  err "${size}: generating source (${GENERATOR})"
  generate_source "${src_db}" "${size}"
  table_counts "${PROD_PORT}" "${src_db}" >"${src_counts}"
  src_mb="$(sql "${PROD_PORT}" postgres \
    "SELECT pg_database_size('${src_db}') / 1048576")"
  for net in "${NETS[@]}"; do
    bench_net "${size}" "${net}" "${src_mb}" "${tools[@]}"
  done
  sql "${PROD_PORT}" postgres "DROP DATABASE IF EXISTS \"${src_db}\" WITH (FORCE)"
}

# Times every tool RUNS times over one link and prints its table.
# Args: size, net (RATE:RTT or direct), source MB, tools...
bench_net() {
  local size="$1" net="$2" src_mb="$3"
  shift 3
  local -a tools=("$@")
  local src_db="src" dst_db="dst" src_counts="${WORK_DIR}/src-counts.tsv"
  local -A walls=() rss=() ok=() total=() wire=()
  local tool round i n wall start end peak f run allow_loss n_kb

  n="${#tools[@]}"
  for ((round = 0; round < RUNS; round++)); do
    # Rotate the starting tool each round so that no tool always runs first.
    for ((i = 0; i < n; i++)); do
      tool="${tools[$(((round + i) % n))]}"
      run="${WORK_DIR}/runs/${size}-${net//[:.]/_}-${tool}-${round}"
      mkdir -p "${run}"
      recreate_db "${STAGING_PORT}" "${dst_db}"
      sql "${PROD_PORT}" postgres "CHECKPOINT"
      sql "${STAGING_PORT}" postgres "CHECKPOINT"
      total[${tool}]=$((${total[${tool}]:-0} + 1))
      start_proxies "${net}" "${run}"
      start="$(date +%s.%N)"
      if copy_with "${tool}" "${src_db}" "${dst_db}" "${run}"; then
        end="$(date +%s.%N)"
        # The proxies write their counters every 100 ms.
        sleep 0.3
        stop_proxies
        # `wpstage sync` anonymizes by default, and anonymization may delete rows.
        allow_loss=0
        if [[ "${tool}" == "wpstage" ]]; then
          allow_loss=1
        fi
        if verify_copy "${src_counts}" "${dst_db}" "${allow_loss}" \
          "${run}/log"; then
          wall="$(awk -v a="${start}" -v b="${end}" 'BEGIN { printf "%.2f", b - a }')"
          walls[${tool}]+="${wall} "
          wire[${tool}]+="$(wire_bytes "${run}") "
          ok[${tool}]=$((${ok[${tool}]:-0} + 1))
          err "${size} ${net} round $((round + 1)): $(label "${tool}") ${wall} s"
        else
          err "${size} ${net} round $((round + 1)): $(label "${tool}")" \
            "FAILED verification:"
          mask <"${run}/log" | grep '^verify:' | head -n 20 >&2 || true
          ANY_FAILED=1
        fi
      else
        stop_proxies
        err "${size} ${net} round $((round + 1)): $(label "${tool}")" \
          "FAILED (exit status); last lines of its output:"
        mask <"${run}/log" | tail -n 15 >&2
        ANY_FAILED=1
      fi
      peak=0
      for f in "${run}"/rss.*; do
        [[ -f "${f}" ]] || continue
        # GNU time prints a status line first when the command failed.
        n_kb="$(tail -n 1 "${f}")"
        if [[ "${n_kb}" =~ ^[0-9]+$ ]] && ((n_kb > peak)); then
          peak="${n_kb}"
        fi
      done
      if ((peak > ${rss[${tool}]:-0})); then
        rss[${tool}]="${peak}"
      fi
      rm -rf "${run}/pgcopydb"
    done
  done
  sql "${STAGING_PORT}" postgres "DROP DATABASE IF EXISTS \"${dst_db}\" WITH (FORCE)"

  local base="" med ratio lbl wire_mb
  if [[ -n "${walls[pg_dump]:-}" ]]; then
    # shellcheck disable=SC2086 # word splitting of the list is intended
    base="$(median ${walls[pg_dump]})"
  fi
  if [[ "${net}" == "direct" ]]; then
    echo "## ${size} (source database ${src_mb} MB on disk), loopback"
  else
    echo "## ${size} (source database ${src_mb} MB on disk), shaped link ${net}" \
      "(rate per direction : round trip)"
  fi
  echo
  if [[ " ${tools[*]} " == *" pgcopydb "* ]]; then
    echo "pgcopydb --split-tables-larger-than $(pgcopydb_split "${size}")"
    echo
  fi
  echo "| tool | runs ok | median wall s | ratio to pg_dump \| psql | wire MB | peak RSS MB |"
  echo "|---|---|---|---|---|---|"
  for tool in "${tools[@]}"; do
    med="-"
    ratio="-"
    wire_mb="-"
    if [[ -n "${walls[${tool}]:-}" ]]; then
      # shellcheck disable=SC2086 # word splitting of the list is intended
      med="$(median ${walls[${tool}]})"
      if [[ -n "${base}" ]]; then
        ratio="$(awk -v a="${med}" -v b="${base}" 'BEGIN { printf "%.2f", a / b }')"
      fi
      if [[ "${net}" != "direct" ]]; then
        # shellcheck disable=SC2086 # word splitting of the list is intended
        wire_mb="$(median ${wire[${tool}]} | awk '{ printf "%.0f", $1 / 1048576 }')"
      fi
    fi
    if [[ "${ok[${tool}]:-0}" != "${total[${tool}]:-0}" ]]; then
      med="${med} (FAILED runs: $((total[${tool}] - ${ok[${tool}]:-0})))"
    fi
    lbl="$(label "${tool}")"
    printf '| %s | %s/%s | %s | %s | %s | %s |\n' "${lbl//|/\\|}" \
      "${ok[${tool}]:-0}" "${total[${tool}]}" "${med}" "${ratio}" \
      "${wire_mb}" \
      "$(awk -v k="${rss[${tool}]:-0}" 'BEGIN { printf "%.0f", k / 1024 }')"
  done
  echo
}

# Reads the command line: --net RATE:RTT (repeatable).
parse_args() {
  while (($# > 0)); do
    case "$1" in
      --net)
        (($# >= 2)) || die "--net needs a value like 100mbit:20ms"
        check_net "$2"
        NETS+=("$2")
        shift 2
        ;;
      -h | --help)
        sed -n '3,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
      *) die "unknown argument '$1' (see --help)" ;;
    esac
  done
  if ((${#NETS[@]} == 0)); then
    NETS=(direct)
  fi
}

# Starts the "prod" and "staging" clusters in a new temp dir (removed on
# exit) with a random password that only a temporary .pgpass holds.
setup_clusters() {
  if [[ "${EUID}" -eq 0 ]]; then
    # initdb and postgres refuse to run as root.
    id "${DB_USER}" >/dev/null 2>&1 \
      || die "running as root needs an OS user '${DB_USER}' for the clusters"
    RUN_AS=(runuser -u "${DB_USER}" --)
  else
    RUN_AS=(env)
  fi

  WORK_DIR="$(mktemp -d "${TMPDIR:-/tmp}/wpstage-bench.XXXXXX")"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  chmod 755 "${WORK_DIR}"
  PASSWORD="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  printf '127.0.0.1:*:*:%s:%s\n' "${DB_USER}" "${PASSWORD}" \
    >"${WORK_DIR}/pgpass"
  chmod 600 "${WORK_DIR}/pgpass"
  export PGPASSFILE="${WORK_DIR}/pgpass"
  export PGCONNECT_TIMEOUT=10
  unset PGPASSWORD PGSERVICE PGHOST PGPORT PGUSER PGDATABASE

  PROD_PORT="$(free_port)"
  start_cluster prod "${PROD_PORT}"
  STAGING_PORT="$(free_port)"
  [[ "${STAGING_PORT}" != "${PROD_PORT}" ]] || STAGING_PORT="$(free_port)"
  start_cluster staging "${STAGING_PORT}"
  mkdir -p "${WORK_DIR}/runs"
}

main() {
  local size results
  parse_args "$@"
  check_prerequisites
  PG_BIN="$(find_pg_bin)"
  find_wpstage
  find_netshape
  setup_clusters

  results="${WORK_DIR}/results.md"
  machine_header >"${results}"
  cat "${results}"
  for size in ${SIZES}; do
    # Not in a pipeline: bench_size must set ANY_FAILED in this shell.
    bench_size "${size}" >"${WORK_DIR}/size.md"
    cat "${WORK_DIR}/size.md"
    cat "${WORK_DIR}/size.md" >>"${results}"
  done
  if ((ANY_FAILED)); then
    echo "**Some runs FAILED (see stderr); their times are not in the medians.**" \
      | tee -a "${results}"
  fi
  mkdir -p "$(dirname "${OUT}")"
  cp "${results}" "${OUT}"
  err "wrote ${OUT}"
  if ((ANY_FAILED)); then
    exit 1
  fi
}

# bench/base.sh sources this file for its functions.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  main "$@"
fi
