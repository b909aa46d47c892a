#!/usr/bin/env python3
"""Search, similar claims and the duplicate check at scale: a million generated claims.

For each backend (SQLite, then PostgreSQL): `claimdesk-bench load-claims` writes COUNT generated
claims (French and English, news-like vocabulary with a Zipf long tail, 60 to 320 characters,
40 % with a context; see bench/src/corpus.rs) straight into a fresh database, indexed exactly as
core indexes a claim, with the queries to run. Then `claimdesk serve` on it, and through REST:

- search: `GET /v1/claims?q=` with 1 to 3 words of stored claims, 4 clients, closed loop;
- similar: `POST /v1/claims/similar` with reworded stored claims (a fifth of the words
  replaced), 4 clients;
- creation with the duplicate check (the default) and without it
  (`CLAIMDESK_DUPLICATE_CHECK=off`), 8 clients, in --rounds alternating rounds (3) on a fresh
  server each, the order of the two modes swapped every round, each measured after --warmup
  seconds (10) of uncounted creations: the ratio of the mean throughputs is the check's cost.

Run from the repository root, after `cargo build --release`:

    python3 bench/search_bench.py [--count 1000000] [--secs 20] [--backends sqlite,postgres]

`--work DIR --skip-load` measures databases loaded before (`DIR/search.db`, the PostgreSQL
database claimdesk_search_bench, and `DIR/queries-{backend}.jsonl`), for instance by two
`claimdesk-bench load-claims` run side by side.

Prints the table and replaces the "Search at scale" section of docs/benchmarks.md.
"""

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

BIN = "./target/release/claimdesk"
BENCH = "./target/release/claimdesk-bench"
TOKEN = "cdk_bench_" + secrets.token_hex(24)
PGURL = os.environ.get("PGURL", "postgres://postgres@127.0.0.1:5432")
PGDB = "claimdesk_search_bench"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


class Server:
    def __init__(self, db_url, work, duplicate_check=True):
        self.port = free_port()
        env = dict(os.environ,
                   CLAIMDESK_HTTP_ADDR=f"127.0.0.1:{self.port}",
                   CLAIMDESK_GRPC_ADDR=f"127.0.0.1:{free_port()}",
                   CLAIMDESK_DATABASE_URL=db_url,
                   CLAIMDESK_BOOTSTRAP_TOKEN=TOKEN,
                   CLAIMDESK_RATE_LIMIT_PER_MINUTE="0",
                   CLAIMDESK_DUPLICATE_CHECK="on" if duplicate_check else "off",
                   RUST_LOG="warn")
        self.log = open(os.path.join(work, "serve.log"), "a")
        self.proc = subprocess.Popen([BIN, "serve"], env=env, stdout=self.log, stderr=self.log)
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"{self.url}/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit("claimdesk serve did not become ready; see " + self.log.name)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def settle(backend):
    """PostgreSQL writes out what earlier phases left dirty (a checkpoint), so that one phase's
    write-back does not land in the next one's figures: at this machine's max_wal_size a
    creation run checkpoints every 15 s."""
    if backend == "postgres":
        subprocess.run(["psql", f"{PGURL}/{PGDB}", "-qAtc", "CHECKPOINT"], check=True)


def prewarm(backend, work):
    """Reads the database into the kernel's page cache before the first phase, as a server's
    working set is in memory once it has run a while: otherwise the first phases measure the
    disk (after a load, or on a machine whose page cache was taken by other work). PostgreSQL:
    `pg_prewarm` (contrib) of every table and index, in `read` mode (the kernel's cache, not
    shared buffers); SQLite: the database file read through."""
    if backend == "postgres":
        subprocess.run(["psql", f"{PGURL}/{PGDB}", "-qAtc", "CREATE EXTENSION IF NOT EXISTS pg_prewarm",
                        "-c", "SELECT SUM(pg_prewarm(c.oid, 'read')) FROM pg_class c "
                              "JOIN pg_namespace n ON n.oid = c.relnamespace "
                              "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'i')"],
                       check=True, capture_output=True)
    else:
        with open(os.path.join(work, "search.db"), "rb") as f:
            while f.read(1 << 24):
                pass


def measure(backend, db_url, args, work):
    queries = os.path.join(work, f"queries-{backend}.jsonl")
    if args.skip_load:
        load = {"secs": float("nan")}
    else:
        print(f"== {backend}: loading {args.count:,} claims", flush=True)
        load = run_json([BENCH, "load-claims", "--database-url", db_url, "--count", str(args.count),
                         "--seed", "7", "--queries", "2000", "--queries-out", queries])
        print(f"   loaded in {load['secs']:.0f} s ({args.count / load['secs']:,.0f} claims/s)", flush=True)
    print(f"== {backend}: measuring", flush=True)
    prewarm(backend, work)
    rows = {"load": load}
    server = Server(db_url, work)
    try:
        for kind in ("search", "similar"):
            settle(backend)
            # Warm-up: the first calls read cold pages.
            run_json([BENCH, "http-query", "--url", server.url, "--token", TOKEN, "--queries", queries,
                      "--kind", kind, "--conns", "4", "--secs", "5"])
            rows[kind] = run_json([BENCH, "http-query", "--url", server.url, "--token", TOKEN,
                                   "--queries", queries, "--kind", kind, "--conns", "4",
                                   "--secs", str(args.secs)])
            print(f"   {kind}: {rows[kind]}", flush=True)
    finally:
        server.stop()
    # Creations with and without the check, in alternating rounds on a fresh server each: the
    # database grows and PostgreSQL checkpoints and vacuums while they run, so one round of each
    # can differ by 20 % either way; the means of several are compared. The order alternates
    # too (on, off; off, on; ...), so that neither mode always runs first after the load.
    on, off = [], []
    for round_ in range(args.rounds):
        order = (True, False) if round_ % 2 == 0 else (False, True)
        for checked in order:
            runs = on if checked else off
            settle(backend)
            server = Server(db_url, work, duplicate_check=checked)
            try:
                # A running core's caches (word and n-gram frequencies, token, views) are warm:
                # both modes first create for --warmup seconds, not counted, from seeds of their own.
                # Seeds far apart: each of the 8 clients draws claims from seed + its number.
                base = 1000 * (round_ + 1) + (100 if checked else 500)
                if args.warmup > 0:
                    run_json([BENCH, "http-create", "--url", server.url, "--token", TOKEN,
                              "--seed", str(base + 50), "--conns", "8", "--secs", str(args.warmup)])
                runs.append(run_json([BENCH, "http-create", "--url", server.url, "--token", TOKEN,
                                      "--seed", str(base), "--conns", "8", "--secs", str(args.secs)]))
                print(f"   create (check {'on' if checked else 'off'}), round {round_ + 1}: {runs[-1]}", flush=True)
            finally:
                server.stop()
    rows["create_checked"] = on
    rows["create_unchecked"] = off
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--secs", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="alternating creation rounds with and without the check")
    parser.add_argument("--warmup", type=int, default=10,
                        help="seconds of creation before each creation round, not counted (both modes)")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--work", help="working directory (default: a new temporary one)")
    parser.add_argument("--skip-load", action="store_true", help="measure databases loaded before in --work")
    args = parser.parse_args()
    if args.skip_load and not args.work:
        raise SystemExit("--skip-load needs --work")
    for path in (BIN, BENCH):
        if not os.path.exists(path):
            raise SystemExit(f"{path} is missing: run `cargo build --release` first")
    work = args.work or tempfile.mkdtemp(prefix="claimdesk-search-bench-")
    # The bootstrap token is stored only in a database without an admin token: a database
    # measured again keeps the token it was first measured with.
    global TOKEN
    token_file = os.path.join(work, "token")
    if os.path.exists(token_file):
        TOKEN = open(token_file).read().strip()
    else:
        open(token_file, "w").write(TOKEN)
    results = {}
    for backend in args.backends.split(","):
        if backend == "sqlite":
            url = f"sqlite://{work}/search.db"
        else:
            if not args.skip_load:
                subprocess.run(["psql", f"{PGURL}/postgres", "-qc", f"DROP DATABASE IF EXISTS {PGDB}",
                                "-c", f"CREATE DATABASE {PGDB}"], check=True, capture_output=True)
            url = f"{PGURL}/{PGDB}"
        results[backend] = measure(backend, url, args, work)
    table = render(results, args)
    print(table)
    if not args.no_doc:
        write_doc(table)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


def render(results, args):
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    lines = [
        "## Search at scale",
        "",
        f"`python3 bench/search_bench.py --count {args.count} --secs {args.secs}` on {head}, "
        f"{time.strftime('%Y-%m-%d')}, this 2-core machine: {args.count:,} generated claims "
        "(bench/src/corpus.rs), latencies through REST measured by the client (`claimdesk-bench`), "
        "4 clients for queries, 8 for creations; the server was warmed for 5 s first, "
        f"and each creation round by {args.warmup} s of uncounted creations (both modes).",
        "",
        "| backend | load | search p50 / p95 / p99 | similar p50 / p95 / p99 | creations/s with check | without | check's cost |",
        "|---|---|---|---|---|---|---|",
    ]
    for backend, r in results.items():
        s, m = r["search"], r["similar"]
        on = sum(x["rps"] for x in r["create_checked"]) / len(r["create_checked"])
        off = sum(x["rps"] for x in r["create_unchecked"]) / len(r["create_unchecked"])
        load = "loaded apart" if r["load"]["secs"] != r["load"]["secs"] else f"{r['load']['secs']:.0f} s"
        lines.append(
            f"| {backend} | {load} | {s['p50_ms']:.1f} / {s['p95_ms']:.1f} / {s['p99_ms']:.1f} ms "
            f"| {m['p50_ms']:.1f} / {m['p95_ms']:.1f} / {m['p99_ms']:.1f} ms | {on:.0f} | {off:.0f} "
            f"| {100 * (1 - on / off):.0f} % |" if off else "| n/a |")
    lines += ["", "Targets: search p95 < 50 ms, similar p95 < 100 ms, creation with the check within 20 % "
              "of creation without it. Failures (non-2xx): "
              + ", ".join(f"{b}: {failures(r)}" for b, r in results.items()) + ". Creations: the mean of "
              f"{args.rounds} rounds of each, alternating and in swapped order every round, per round "
              + "; ".join(f"{b} " + ", ".join(f"{x['rps']:.0f}" for x in r["create_checked"]) + " with and "
                          + ", ".join(f"{x['rps']:.0f}" for x in r["create_unchecked"]) + " without"
                          for b, r in results.items()) + "."]
    return "\n".join(lines) + "\n"


def failures(r):
    return (r["search"]["failures"] + r["similar"]["failures"]
            + sum(x["failures"] for x in r["create_checked"] + r["create_unchecked"]))


def write_doc(table):
    path = "docs/benchmarks.md"
    text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
    start = text.find("## Search at scale")
    if start >= 0:
        end = text.find("\n## ", start + 1)
        text = text[:start] + table + (text[end + 1:] if end >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + table
    open(path, "w").write(text)


if __name__ == "__main__":
    sys.exit(main())
