#!/usr/bin/env python3
"""The scenarios of the benchmark, each with an anchor measured in the same run.

Called by bench/run.sh, which installs the tools and builds the release binaries. Prints the
table and writes docs/benchmarks.md. Every status code is checked: wrk counts non-2xx answers and
socket errors, the Rust load generators count every failed call; any of them is a failure.
"""

import datetime
import http.client
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

QUICK = "--quick" in sys.argv
SECS = 2 if QUICK else 8  # one measurement
STARTUP_SECS = 5 if QUICK else 10
OVERLOAD_SECS = 8 if QUICK else 30
RECOVERY_SECS = 10
CLAIMS = 200 if QUICK else 1000
PGURL = os.environ.get("PGURL", "postgres://postgres@127.0.0.1:5432")
BIN = "./target/release/claimdesk"
BENCH = "./target/release/claimdesk-bench"
TOKEN = "cdk_bench_" + secrets.token_hex(24)
WORK = tempfile.mkdtemp(prefix="claimdesk-bench-")
rows = []  # (scenario, figure, anchor, ratio, target)
notes = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


class Server:
    """`claimdesk serve` on fresh ports, with the resident memory sampled while it runs."""

    def __init__(self, db_url):
        self.http_port, self.grpc_port = free_port(), free_port()
        env = dict(os.environ,
                   CLAIMDESK_HTTP_ADDR=f"127.0.0.1:{self.http_port}",
                   CLAIMDESK_GRPC_ADDR=f"127.0.0.1:{self.grpc_port}",
                   CLAIMDESK_DATABASE_URL=db_url,
                   CLAIMDESK_BOOTSTRAP_TOKEN=TOKEN,
                   CLAIMDESK_RATE_LIMIT_PER_MINUTE="0",
                   CLAIMDESK_DB_POOL_SIZE="16",
                   RUST_LOG="warn")
        self.log = open(os.path.join(WORK, "serve.log"), "a")
        self.proc = subprocess.Popen([BIN, "serve"], env=env, stdout=self.log, stderr=self.log)
        self.max_rss_kb = 0
        self._stop = False
        threading.Thread(target=self._sample, daemon=True).start()
        for _ in range(300):
            try:
                if http_call(self.base, "GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit("claimdesk serve did not become ready; see " + self.log.name)

    @property
    def base(self):
        return f"127.0.0.1:{self.http_port}"

    def _sample(self):
        while not self._stop and self.proc.poll() is None:
            try:
                with open(f"/proc/{self.proc.pid}/status") as f:
                    rss = int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))
                self.max_rss_kb = max(self.max_rss_kb, rss)
            except (OSError, AttributeError):
                pass
            time.sleep(0.2)

    def stop(self):
        self._stop = True
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=30)


_conns = {}


def http_call(base, method, path, body=None, headers=None):
    conn = _conns.get(base)
    if conn is None:
        conn = _conns[base] = http.client.HTTPConnection(base, timeout=30)
    h = {"Authorization": f"Bearer {TOKEN}"}
    if body is not None:
        h["Content-Type"] = "application/json"
    h.update(headers or {})
    try:
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=h)
        r = conn.getresponse()
        data = r.read()
    except (OSError, http.client.HTTPException):
        _conns.pop(base, None)
        raise
    return r.status, (json.loads(data) if data else None)


def seed(base):
    """Sources, CLAIMS claims with two attributions each, and the claim the reads target."""
    def ok(result):
        status, body = result
        assert status in (200, 201), (status, body)
        return body
    csis = ok(http_call(base, "POST", "/v1/sources", {"name": "CSIS", "kind": "organization"}))["id"]
    peskov = ok(http_call(base, "POST", "/v1/sources", {"name": "Dmitri Peskov", "kind": "person"}))["id"]
    started = time.time()
    for i in range(CLAIMS):
        ok(http_call(base, "POST", "/v1/claims", {
            "text": f"Claim {i}: les États-Unis déploieront huit navires de guerre",
            "language": "fr", "claimant_id": csis, "claimed_at": "2025-10", "tags": ["venezuela", "usa"],
            "attributions": [{"speaker_id": csis, "stance": "asserts"},
                             {"speaker_id": peskov, "stance": "context"}]}))
    notes.append(f"seeding: {CLAIMS} creates with 2 attributions each, one keep-alive connection, "
                 f"{CLAIMS / (time.time() - started):.0f}/s")
    page = ok(http_call(base, "GET", "/v1/claims?page_size=20"))
    return {"claim": page["claims"][0]["id"], "page": [c["id"] for c in page["claims"]],
            "source": csis, "peskov": peskov}


def wrk(url, conns, secs, script=None):
    cmd = ["wrk", f"-t{min(2, conns)}", f"-c{conns}", f"-d{secs}s", "--latency", "-H", f"Authorization: Bearer {TOKEN}"]
    if script:
        cmd += ["-s", script]
    out = run(cmd + [url])

    def ms(label):
        m = re.search(rf"^\s*{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not m:
            return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    failures = sum(int(n) for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", out))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errors:
        failures += sum(int(x) for x in errors.groups())
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {"rps": rps, "p50": ms("50%"), "p99": ms("99%"), "failures": failures}


def pgbench(db, sql, conns, secs, defines=()):
    path = os.path.join(WORK, "pgbench.sql")
    with open(path, "w") as f:
        f.write(sql)
    cmd = ["pgbench", "-n", "-M", "prepared", "-c", str(conns), "-j", str(min(2, conns)), "-T", str(secs), "-f", path]
    for d in defines:
        cmd += ["-D", d]
    # The same transport as claimdesk's libpq, which is built without TLS unless the
    # postgres-tls feature is on: pgbench's (the system's) would otherwise negotiate it.
    out = run(cmd + [f"{PGURL}/{db}?sslmode=disable"])
    return float(re.search(r"tps = ([\d.]+)", out).group(1))


def bench_json(*args):
    return json.loads(run([BENCH, *args]).strip().splitlines()[-1])


def row(scenario, figure, anchor=None, target=None, fmt="{:,.0f}"):
    ratio = figure / anchor if anchor else None
    rows.append((scenario, fmt.format(figure), "" if anchor is None else fmt.format(anchor),
                 "" if ratio is None else f"{ratio:.2f}", target or ""))
    shown = f"{scenario}: {fmt.format(figure)}" + ("" if anchor is None else f" / anchor {fmt.format(anchor)} = {ratio:.2f}")
    print("   " + shown, flush=True)


def check(result, what):
    if result["failures"]:
        notes.append(f"FAILURES: {what}: {result['failures']} non-2xx answers or socket errors")
        print(f"   !! {what}: {result['failures']} failures", flush=True)
    return result


PG_READ = """SELECT id, text, language, context, claimed_at, claimed_start, claimed_end, tags, status, version, created_at, updated_at, claimant_id FROM claims WHERE id = :id LIMIT 1;
SELECT id, name, kind FROM sources WHERE id = ANY(ARRAY[:src]);
SELECT attributions.claim_id, attributions.stance, attributions.published_at, sources.id, sources.name, sources.kind FROM attributions INNER JOIN sources ON attributions.speaker_id = sources.id WHERE attributions.claim_id = ANY(ARRAY[:id]) ORDER BY attributions.recorded_at, attributions.id;
"""

PG_PAGE = """SELECT id, text, language, context, claimed_at, claimed_start, claimed_end, tags, status, version, created_at, updated_at, claimant_id FROM claims ORDER BY created_at DESC, id DESC LIMIT 21;
SELECT id, name, kind FROM sources WHERE id = ANY(ARRAY[:src]);
SELECT attributions.claim_id, attributions.stance, attributions.published_at, sources.id, sources.name, sources.kind FROM attributions INNER JOIN sources ON attributions.speaker_id = sources.id WHERE attributions.claim_id = ANY(ARRAY[{ids}]) ORDER BY attributions.recorded_at, attributions.id;
"""

PG_CREATE = """SELECT gen_random_uuid()::text AS cid, gen_random_uuid()::text AS a1, gen_random_uuid()::text AS a2 \\gset
BEGIN;
INSERT INTO claims (id, text, language, tags, status, version, created_at, updated_at, claimant_id) VALUES (:cid, 'Bench claim: huit navires de guerre', 'fr', '["bench"]', 'unverified', 3, now(), now(), :src);
INSERT INTO claim_tags (claim_id, tag) VALUES (:cid, 'bench');
INSERT INTO claim_events (claim_id, version, actor, at, change) VALUES (:cid, 1, 'bench', now(), '{"kind":"created"}');
INSERT INTO attributions (id, claim_id, speaker_id, stance, relay_ids, recorded_by, recorded_at) VALUES (:a1, :cid, :src, 'asserts', '[]', 'bench', now());
INSERT INTO claim_events (claim_id, version, actor, at, change) VALUES (:cid, 2, 'bench', now(), '{"kind":"attribution_added"}');
INSERT INTO attributions (id, claim_id, speaker_id, stance, relay_ids, recorded_by, recorded_at) VALUES (:a2, :cid, :peskov, 'context', '[]', 'bench', now());
INSERT INTO claim_events (claim_id, version, actor, at, change) VALUES (:cid, 3, 'bench', now(), '{"kind":"attribution_added"}');
COMMIT;
"""

CREATE_LUA = """wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"text":"Bench claim %d-%d: huit navires de guerre","language":"fr","claimant_id":"%s","tags":["bench"],"attributions":[{"speaker_id":"%s","stance":"asserts"},{"speaker_id":"%s","stance":"context"}]}', math.random(1, 1000000000), n, "SRC", "SRC", "PESKOV")
  return wrk.format(nil, nil, nil, body)
end
"""


def scenario(backend):
    print(f"== {backend}", flush=True)
    if backend == "postgres":
        db = "claimdesk_bench"
        run(["psql", f"{PGURL}/postgres", "-qc", f"DROP DATABASE IF EXISTS {db}", "-c", f"CREATE DATABASE {db}"])
        db_url = f"{PGURL}/{db}"
    else:
        db_url = f"sqlite://{WORK}/bench.db"
    server = Server(db_url)
    ids = seed(server.base)
    server.stop()

    # Cold start: the first seconds after start-up, against the steady state measured below.
    server = Server(db_url)
    base = f"http://{server.base}"
    claim_url = f"{base}/v1/claims/{ids['claim']}"
    first = check(wrk(claim_url, 16, STARTUP_SECS), "first seconds")
    max_rss = 0

    steady = {}
    for conns in (1, 16, 64):
        got = check(wrk(claim_url, conns, SECS), f"{backend} GET c={conns}")
        steady[conns] = got
        if backend == "postgres":
            anchor = pgbench(db, PG_READ, conns, SECS, [f"id={ids['claim']}", f"src={ids['source']}"])
        else:
            anchor = bench_json("sqlite-anchor", "--url", db_url, "--id", ids["claim"], "--conns", str(conns), "--secs", str(SECS))["rps"]
        row(f"{backend}: REST GET /v1/claims/{{id}}, {conns} conn (req/s; p99 {got['p99']:.1f} ms)", got["rps"], anchor, "≥ 0.85")

    got = check(wrk(f"{base}/v1/claims?page_size=20", 16, SECS), f"{backend} list")
    anchor = None
    if backend == "postgres":
        page_ids = ", ".join(f"'{i}'" for i in ids["page"])
        anchor = pgbench(db, PG_PAGE.replace("{ids}", page_ids), 16, SECS, [f"src={ids['source']}"])
    row(f"{backend}: REST list, page of 20, 16 conn (req/s; p99 {got['p99']:.1f} ms)", got["rps"], anchor, "≥ 0.6" if anchor else "")

    script = os.path.join(WORK, "create.lua")
    with open(script, "w") as f:
        f.write(CREATE_LUA.replace("SRC", ids["source"]).replace("PESKOV", ids["peskov"]))
    got = check(wrk(f"{base}/v1/claims", 16, SECS, script), f"{backend} create")
    anchor = None
    if backend == "postgres":
        anchor = pgbench(db, PG_CREATE, 16, SECS, [f"src={ids['source']}", f"peskov={ids['peskov']}"])
    row(f"{backend}: REST create with 2 attributions, 16 conn (req/s; p99 {got['p99']:.1f} ms)", got["rps"], anchor, "≥ 0.7" if anchor else "")

    grpc = f"http://127.0.0.1:{server.grpc_port}"
    got = check(bench_json("grpc-get", "--addr", grpc, "--token", TOKEN, "--id", ids["claim"], "--conns", "16", "--secs", str(SECS)), "grpc")
    port = free_port()
    anchor_proc = subprocess.Popen([BENCH, "tonic-anchor", "--listen", f"127.0.0.1:{port}", "--from", grpc, "--token", TOKEN, "--id", ids["claim"]],
                                   stdout=subprocess.PIPE, text=True)
    anchor_proc.stdout.readline()
    anchor = bench_json("grpc-get", "--addr", f"http://127.0.0.1:{port}", "--id", ids["claim"], "--conns", "16", "--secs", str(SECS))["rps"]
    anchor_proc.terminate()
    anchor_proc.wait()
    row(f"{backend}: gRPC GetClaim to core, 16 conn (req/s; p99 {got['p99_ms']:.1f} ms)", got["rps"], anchor, "report")

    steady_p99 = steady[16]["p99"]
    row(f"{backend}: p99 in the first {STARTUP_SECS} s after start-up, 16 conn (ms)", first["p99"], steady_p99, "≤ 2 × steady", fmt="{:.1f}")

    # Overload: 150 % of the best measured GET throughput, open loop.
    capacity = max(r["rps"] for r in steady.values())
    rate = int(capacity * 1.5)
    over = bench_json("http-rate", "--url", claim_url, "--token", TOKEN, "--rate", str(rate), "--secs", str(OVERLOAD_SECS))
    statuses = over["statuses"]
    bad = {k: v for k, v in statuses.items() if not (k.startswith("2") or k in ("429", "503"))}
    rows.append((f"{backend}: overload at {rate:,} req/s (150 %) for {OVERLOAD_SECS} s", f"{over['rps']:,.0f} accepted/s, p99 {over['p99_ms']:.0f} ms",
                 "", "", "only 429/503 beyond capacity"))
    notes.append(f"{backend} overload statuses: {json.dumps(statuses)}; not sent (client at 2048 in flight): {over['not_sent']}")
    print(f"   overload: {statuses}, p99 accepted {over['p99_ms']:.0f} ms", flush=True)
    if bad:
        notes.append(f"FAILURES: {backend} overload answered {bad}")
    after = check(wrk(claim_url, 16, RECOVERY_SECS), "recovery")
    row(f"{backend}: throughput in the {RECOVERY_SECS} s after overload, 16 conn (req/s)", after["rps"], steady[16]["rps"], "full again")

    max_rss = server.max_rss_kb
    server.stop()
    row(f"{backend}: resident memory of core + gateway, peak (MB)", max_rss / 1024, None, "< 150", fmt="{:.0f}")


def main():
    started = time.time()
    for backend in ("postgres", "sqlite"):
        scenario(backend)
    mem = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1)) // 1024
    header = ["scenario", "figure", "anchor", "ratio", "target"]
    table = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    table += ["| " + " | ".join(r) + " |" for r in rows]
    command = "bash bench/run.sh" + (" --quick" if QUICK else "")
    print("\n" + "\n".join(table))
    for n in notes:
        print("- " + n)
    profile = open("bench/profile.md").read() if os.path.exists("bench/profile.md") else ""
    os.makedirs("docs", exist_ok=True)
    with open("docs/benchmarks.md", "w") as f:
        f.write(f"""# Benchmarks

Written by `{command}` on {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC, in {time.time() - started:.0f} s.
Machine: {os.cpu_count()} cores (`nproc`), {mem:,} MiB of memory; load generators, PostgreSQL and
claimdesk share those cores. Git commit {run(["git", "rev-parse", "--short", "HEAD"]).strip()}.

Each figure stands beside an anchor measured in the same run, and the ratio is what counts:
absolute figures on a shared machine are noise. Anchors: pgbench running the SQL the scenario
needs (prepared statements, same client count); for SQLite, a Rust program running the three
SELECTs of a read on the same file (`claimdesk-bench sqlite-anchor`); for gRPC, a tonic server
answering one fixed claim (`claimdesk-bench tonic-anchor`). HTTP load is wrk; gRPC load is
`claimdesk-bench grpc-get`; overload is `claimdesk-bench http-rate` (open loop). Every non-2xx
answer and socket error counts as a failure. claimdesk runs with `CLAIMDESK_DB_POOL_SIZE=16` (16
connections, as pgbench opens for 16 clients) and no rate limit.

{chr(10).join(table)}

{chr(10).join("- " + n for n in notes)}

{profile}""")
    if any(n.startswith("FAILURES") for n in notes):
        sys.exit(1)


if __name__ == "__main__":
    main()
