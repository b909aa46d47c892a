#!/usr/bin/env python3
"""Quality and latency of similar claims on CLEF 2020 CheckThat! Task 2 (English), through the API.

Loads the verified claims of the data set (/work/shared/data/clef2020-task2, that is
../shared/data/clef2020-task2 from the repository root; --data to change it) with
`POST /v1/claims`, then asks `POST /v1/claims/similar` (limit 20) for every tweet of a split,
sending the tweet as it is (the service does its own cleaning). Prints MAP@5 (the task's official
measure), Recall@5 and MRR, with the definitions of bench/clef/prototype.py, the p50/p95/p99
latency of the similar calls and the throughput of the load. Calls run on 8 threads (--workers),
each with its own keep-alive connection, so the latencies include queueing behind 7 other calls.

Run from the repository root:

    cargo build --release
    python3 bench/clef/evaluate.py [--split dev|train] [--json FILE]

By default the script starts its own `./target/release/claimdesk serve` (--bin) on free ports,
with a fresh SQLite database in a temporary directory and an admin token of its own, and stops it
at the end. `--database-url URL` (e.g. a PostgreSQL database) gives it another database, and
`--url http://host:port --token TOKEN` uses a running server instead. Either database must be
empty: claims already there compete in the rankings. Only dev (default) and train can be
evaluated: the test split is not in the repository, its results are measured separately.
Python standard library only.
"""

import argparse
import collections
import concurrent.futures
import csv
import http.client
import json
import math
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data/clef2020-task2")
MAX_TEXT_CHARS = 10_000  # core's limit on a claim's text
LIMIT = 20  # matches asked for each tweet; MRR looks at all of them
csv.field_size_limit(10**9)


def rows(path):
    """The records of a TSV file after its header line, read as prototype.py reads them."""
    with open(path, newline="") as f:
        reader = csv.reader(f, delimiter="\t", quotechar='"')
        next(reader)
        yield from reader


def read_split(data, split):
    """Verified claims {vclaim_id: (vclaim, title)}, tweets {tweet_id: text}, qrels {tweet_id: {vclaim_id}}."""
    docs = {i: (claim, title) for i, claim, title in rows(os.path.join(data, "verified_claims.docs.tsv"))}
    tweets = {i: text for i, text in rows(os.path.join(data, split, "tweets.queries.tsv"))}
    relevant = collections.defaultdict(set)
    with open(os.path.join(data, split, "tweet-vclaim-pairs.qrels")) as f:
        for line in f:
            tweet, _, vclaim, _ = line.split("\t")
            relevant[tweet].add(vclaim)
    return docs, tweets, relevant


def metrics(rankings, relevant):
    """MAP@5, Recall@5 and MRR of {tweet_id: [vclaim_id, ...] best first} as prototype.py computes them."""
    ap = r5 = rr = 0.0
    for tweet, ranked in rankings.items():
        rels, hits, precisions = relevant[tweet], 0, 0.0
        for k, vclaim in enumerate(ranked[:5]):
            if vclaim in rels:
                hits += 1
                precisions += hits / (k + 1)
        ap += precisions / min(len(rels), 5)
        r5 += hits / len(rels)
        rr += next((1 / (k + 1) for k, vclaim in enumerate(ranked) if vclaim in rels), 0)
    n = len(rankings)
    return {"map_at_5": ap / n, "recall_at_5": r5 / n, "mrr": rr / n}


def percentile(sorted_values, p):
    """Nearest-rank percentile of a sorted list."""
    return sorted_values[max(0, math.ceil(p / 100 * len(sorted_values)) - 1)]


class ApiError(Exception):
    pass


class Api:
    """JSON calls to the REST gateway: one keep-alive connection per thread."""

    def __init__(self, url, token):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port, self.https = parts.hostname, parts.port, parts.scheme == "https"
        self.token = token
        self.local = threading.local()
        self.retries = 0

    def call(self, method, path, body=None, expect=200, headers=None):
        """(answer, seconds of the answered attempt). Retries 429 and 503 (after Retry-After) and
        dropped connections; any other unexpected status raises ApiError."""
        h = {"Authorization": f"Bearer {self.token}", **(headers or {})}
        if body is not None:
            h["Content-Type"] = "application/json"
        payload = None if body is None else json.dumps(body)
        for _ in range(30):
            conn = getattr(self.local, "conn", None)
            if conn is None:
                kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
                conn = self.local.conn = kind(self.host, self.port, timeout=60)
            started = time.perf_counter()
            try:
                conn.request(method, path, body=payload, headers=h)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                conn.close()
                self.local.conn = None
                self.retries += 1  # a lost update under races only under-counts this diagnostic
                time.sleep(0.2)
                continue
            seconds = time.perf_counter() - started
            if response.status == expect:
                return json.loads(data), seconds
            if response.status not in (429, 503):
                raise ApiError(f"{method} {path}: {response.status} {data.decode(errors='replace')}")
            self.retries += 1
            try:
                time.sleep(min(max(float(response.getheader("Retry-After", "0.5")), 0.05), 30))
            except ValueError:
                time.sleep(1)
        raise ApiError(f"{method} {path}: no answer after 30 attempts")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`claimdesk serve` on free ports with an admin token of its own, as bench/bench.py starts it."""

    def __init__(self, binary, database_url, work):
        http_port, grpc_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{http_port}"
        self.token = "cdk_clef_" + secrets.token_hex(24)
        env = dict(os.environ,
                   CLAIMDESK_HTTP_ADDR=f"127.0.0.1:{http_port}",
                   CLAIMDESK_GRPC_ADDR=f"127.0.0.1:{grpc_port}",
                   CLAIMDESK_DATABASE_URL=database_url,
                   CLAIMDESK_BOOTSTRAP_TOKEN=self.token,
                   CLAIMDESK_RATE_LIMIT_PER_MINUTE="0",
                   RUST_LOG=os.environ.get("RUST_LOG", "warn"))
        self.log = os.path.join(work, "serve.log")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([binary, "serve"], env=env, stdout=log, stderr=log)
        deadline = time.time() + 60
        while time.time() < deadline and self.proc.poll() is None:
            conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=2)
            try:  # /readyz, as bench.py: 200 once core and its database answer (/healthz: the gateway alone)
                conn.request("GET", "/readyz")
                if conn.getresponse().status == 200:
                    return
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.1)
        exited = self.proc.poll()
        self.stop()
        why = "did not become ready in 60 s" if exited is None else f"exited with status {exited}"
        raise SystemExit(f"claimdesk serve {why}; see {self.log}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)


def completed(pool, fn, items):
    """fn(item) on the pool's threads, yielded as the calls finish."""
    for future in concurrent.futures.as_completed([pool.submit(fn, item) for item in items]):
        yield future.result()


def evaluate(api, pool, docs, tweets, relevant, workers):
    existing, _ = api.call("GET", "/v1/claims?page_size=1")
    if existing["claims"]:
        print("WARNING: the database already holds claims; they compete in the rankings, "
              "so these figures are not comparable with an empty database's", flush=True)
    truncated = sum(len(claim) > MAX_TEXT_CHARS for claim, _ in docs.values())
    if truncated:
        print(f"{truncated} verified claims longer than {MAX_TEXT_CHARS:,} characters are truncated")
    nonce = secrets.token_hex(8)  # one Idempotency-Key per claim and run: a retried create stores nothing twice

    def create(item):
        vclaim_id, (claim, title) = item
        body = {"text": claim[:MAX_TEXT_CHARS], "language": "en"}
        if title.strip():
            body["context"] = title
        key = {"Idempotency-Key": f"clef-{nonce}-{vclaim_id}"}
        answer, _ = api.call("POST", "/v1/claims", body, expect=201, headers=key)
        return vclaim_id, answer["id"]

    claim_of = {}
    started = time.perf_counter()
    for n, (vclaim_id, claim_id) in enumerate(completed(pool, create, docs.items()), 1):
        claim_of[vclaim_id] = claim_id
        if n % 1000 == 0 or n == len(docs):
            print(f"  {n:,}/{len(docs):,} claims loaded, {n / (time.perf_counter() - started):,.0f}/s", flush=True)
    load_seconds = time.perf_counter() - started
    vclaim_of = {claim_id: vclaim_id for vclaim_id, claim_id in claim_of.items()}

    def similar(item):
        tweet_id, text = item
        answer, seconds = api.call("POST", "/v1/claims/similar", {"text": text, "language": "en", "limit": LIMIT})
        return tweet_id, answer["matches"], seconds

    rankings, latencies, foreign, unordered = {}, [], 0, 0
    for tweet_id, matches, seconds in completed(pool, similar, tweets.items()):
        rankings[tweet_id] = [vclaim_of.get(m["claim"]["id"]) for m in matches]  # None: not a CLEF claim
        foreign += rankings[tweet_id].count(None)
        unordered += any(a["score"] < b["score"] for a, b in zip(matches, matches[1:]))
        latencies.append(seconds * 1000)
    if foreign:
        print(f"WARNING: {foreign} matches are claims that this run did not load (counted as not relevant)")
    if unordered:
        print(f"WARNING: {unordered} answers are not ordered by descending score (taken in the order given)")
    latencies.sort()
    return {**metrics(rankings, relevant), "queries": len(rankings), "claims": len(docs),
            "claims_truncated": truncated, "load_seconds": round(load_seconds, 3),
            "load_claims_per_second": round(len(docs) / load_seconds, 1), "workers": workers,
            "similar_limit": LIMIT, "latency_ms": {f"p{p}": round(percentile(latencies, p), 2) for p in (50, 95, 99)},
            "foreign_matches": foreign, "retries": api.retries}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("dev", "train"), default="dev")
    parser.add_argument("--data", default=DATA, help="the CLEF 2020 Task 2 directory")
    parser.add_argument("--bin", default="./target/release/claimdesk")
    parser.add_argument("--database-url", help="an empty database for the server started here "
                        "(default: SQLite in a temporary directory)")
    parser.add_argument("--url", help="a running server's REST address instead (http://host:port); needs --token")
    parser.add_argument("--token", help="with --url: a token that may create claims")
    parser.add_argument("--workers", type=int, default=8, help="concurrent calls (default 8)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures there as JSON")
    args = parser.parse_args()
    if bool(args.url) != bool(args.token):
        parser.error("--url and --token go together")
    if args.url and args.database_url:
        parser.error("--database-url is for the server this script starts, not with --url")

    if not args.url and not os.path.isfile(args.bin):
        parser.error(f"no {args.bin}: run `cargo build --release` first, from the repository root")
    docs, tweets, relevant = read_split(args.data, args.split)
    if any(not relevant.get(t) for t in tweets):
        sys.exit(f"some {args.split} tweets have no relevant claim in the qrels")
    if args.url or args.database_url:
        print("The database should be empty: claims already in it compete in the rankings.")
    work = tempfile.mkdtemp(prefix="claimdesk-clef-")
    server = None
    pool = concurrent.futures.ThreadPoolExecutor(args.workers)
    try:
        if not args.url:
            server = Server(args.bin, args.database_url or f"sqlite://{work}/clef.db", work)
        api = Api(args.url or server.url, args.token or server.token)
        figures = evaluate(api, pool, docs, tweets, relevant, args.workers)
    except ApiError as e:
        print(f"FAILED: {e}" + (f" (server log: {server.log})" if server else ""), file=sys.stderr)
        sys.exit(1)
    finally:
        pool.shutdown(cancel_futures=True)
        if server:
            server.stop()
    shutil.rmtree(work)

    f, lat = figures, figures["latency_ms"]
    print(f"\nCLEF 2020 CheckThat! Task 2, {args.split}: {f['queries']} queries over {f['claims']:,} claims")
    print(f"  MAP@5 {f['map_at_5']:.4f}   Recall@5 {f['recall_at_5']:.4f}   MRR {f['mrr']:.4f} (top {LIMIT})")
    print(f"  similar latency, {f['workers']} concurrent: p50 {lat['p50']:.1f} ms, p95 {lat['p95']:.1f} ms, "
          f"p99 {lat['p99']:.1f} ms")
    print(f"  load: {f['claims']:,} claims in {f['load_seconds']:.1f} s, {f['load_claims_per_second']:,.0f} claims/s"
          + (f"; {f['retries']} calls retried" if f["retries"] else ""))
    if args.json:
        with open(args.json, "w") as out:
            json.dump({"split": args.split, **figures}, out, indent=2)
            out.write("\n")


if __name__ == "__main__":
    main()
