#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for tests and demos (Debian's postgresql package).
#   tools/devnet/postgres.sh start DIR PORT   initdb in DIR/data, start on PORT; prints the URL
#   tools/devnet/postgres.sh stop DIR         stop immediately and remove DIR
# initdb refuses to run as root, so as root the server runs as the `postgres` user (DIR is handed
# to it). Durability settings are relaxed (fsync off): the data is thrown away afterwards; with
# ZEROG_PG_DURABLE=1 they stay at PostgreSQL's defaults (benchmarks measure what production pays).
set -euo pipefail
PGB=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$PGB" ] || { echo "postgres.sh: no PostgreSQL server found under /usr/lib/postgresql (apt-get install postgresql)" >&2; exit 2; }
RUN=()
if [ "$(id -u)" -eq 0 ]; then RUN=(runuser -u postgres --); fi
cmd=${1:-}; D=${2:-}
[ -n "$D" ] || { echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2; }
case "$cmd" in
start)
  P=${3:?port}
  mkdir -p "$D"; chmod 755 "$D"
  if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$D"; fi
  "${RUN[@]}" "$PGB/initdb" -D "$D/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 -N > "$D/initdb.log" 2>&1 \
    || { cat "$D/initdb.log" >&2; exit 1; }
  relax="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${ZEROG_PG_DURABLE:-0}" = 1 ] && relax=""
  "${RUN[@]}" "$PGB/pg_ctl" -D "$D/data" -l "$D/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $P -k $D $relax" start > /dev/null \
    || { cat "$D/server.log" >&2; exit 1; }
  echo "postgresql://postgres@127.0.0.1:$P/postgres"
  ;;
stop)
  if [ -d "$D/data" ]; then "${RUN[@]}" "$PGB/pg_ctl" -D "$D/data" -m immediate -w stop > /dev/null 2>&1 || true; fi
  rm -rf "$D"
  ;;
*) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
