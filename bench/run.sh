#!/usr/bin/env bash
# The benchmark harness: every scenario of docs/benchmarks.md, each beside an anchor measured in
# the same run, printed as a table and written to docs/benchmarks.md.
#
#   bash bench/run.sh            # the full run (about 10 minutes on 2 cores)
#   bash bench/run.sh --quick    # shorter runs, under 2 minutes once built
#
# Installs what it needs (wrk from Debian, PostgreSQL's pgbench if missing), builds the release
# binaries, starts PostgreSQL if it is down, then hands over to bench/bench.py.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v wrk >/dev/null || need_apt+=(wrk)
command -v pgbench >/dev/null || need_apt+=(postgresql-client)
command -v python3 >/dev/null || need_apt+=(python3)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== installing ${need_apt[*]}"
  apt-get update -qq && apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

export PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  echo "== starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi

echo "== building release binaries"
cargo build --release --locked -q -p claimdesk -p claimdesk-bench
exec python3 bench/bench.py "$@"
