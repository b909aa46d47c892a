#!/usr/bin/env python3
"""A newcomer's first hour, as a test: clone the repository into a temporary directory and do
what README.md says, as it says it. Any difference fails.

1. `cargo run --release -- serve` (the README's first command, read from the README) starts and
   answers /healthz, /readyz, /docs/ and /openapi.json.
2. `cargo run --release -- token create --name me --role admin` prints a token that lists claims.
3. Every README block marked `<!-- first-hour: run ... -->` runs as written (bash, in the clone,
   with the service up) and prints exactly its `#>` lines: the gRPC health check with grpcio.
4. `examples/walkthrough.sh` runs twice in a row, and each run prints exactly the `#>` lines of
   the README's walk-through (a UUID counts as `<id>`).
5. SIGTERM stops serve with exit code 0.

The README's second command (`cargo test --workspace`) is what CI has just run. CARGO_TARGET_DIR
defaults to this checkout's `target/`, so the clone reuses CI's build of the dependencies.

    python3 .ci/first-hour.py      # needs git, cargo, curl, jq, python3 with venv
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVE = "cargo run --release -- serve"
TOKEN = "cargo run --release -- token create --name me --role admin"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
RUN_BLOCK = re.compile(r"<!-- first-hour: run[^\n]*?-->\n```sh\n(.*?)```\n", re.S)
WALKTHROUGH_BLOCK = re.compile(r"<!-- walkthrough: examples/walkthrough\.sh[^\n]*?-->\n```sh\n(.*?)```\n", re.S)
failures = []


def fail(what):
    failures.append(what)
    print(f"FAIL {what}", flush=True)


def shown(block):
    """The `#>` lines of a README block: what its commands print."""
    return [line[3:] for line in block.splitlines() if line.startswith("#> ")]


def compare(what, expected, printed):
    got = [UUID.sub("<id>", line) for line in printed.splitlines()]
    if got == expected:
        print(f"ok   {what}: {len(got)} lines as shown", flush=True)
        return
    lines = [f"{what}: prints other lines than the README shows"]
    for i in range(max(len(expected), len(got))):
        want = expected[i] if i < len(expected) else "(nothing)"
        have = got[i] if i < len(got) else "(nothing)"
        if want != have:
            lines.append(f"  line {i + 1}:\n    README: {want}\n    prints: {have}")
    fail("\n".join(lines))


def get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def wait_ready(serve, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            return False
        try:
            if get("http://127.0.0.1:8080/readyz")[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.5)
    return False


def main():
    work = Path(tempfile.mkdtemp(prefix="claimdesk-first-hour-"))
    clone = work / "claimdesk"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    readme = (clone / "README.md").read_text()
    env = dict(os.environ, CARGO_TARGET_DIR=os.environ.get("CARGO_TARGET_DIR", str(REPO / "target")))
    # The newcomer's shell: no test settings leak in.
    for name in list(env):
        if name.startswith("CLAIMDESK_"):
            del env[name]

    for command in (SERVE, TOKEN, "examples/walkthrough.sh", "cargo test --workspace"):
        if command not in readme:
            fail(f"the README no longer says `{command}`: update .ci/first-hour.py")

    log = open(work / "serve.log", "w")
    print(f"== {SERVE} (in {clone})", flush=True)
    serve = subprocess.Popen(SERVE.split(), cwd=clone, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        if not wait_ready(serve, 1800):
            fail(f"`{SERVE}` did not become ready:\n" + (work / "serve.log").read_text()[-3000:])
            return
        print("ok   serve is ready on 127.0.0.1:8080", flush=True)
        for path in ("/healthz", "/docs/", "/openapi.json"):
            status, _ = get(f"http://127.0.0.1:8080{path}")
            if status != 200:
                fail(f"GET {path} answered {status}")

        token = subprocess.run(TOKEN.split(), cwd=clone, env=env, capture_output=True, text=True)
        secret = token.stdout.strip()
        if token.returncode != 0 or not secret.startswith("cdk_"):
            fail(f"`{TOKEN}` printed {secret!r}, exit {token.returncode}: {token.stderr[-500:]}")
        else:
            status, body = get("http://127.0.0.1:8080/v1/claims", {"authorization": f"Bearer {secret}"})
            if status != 200 or b'"claims"' not in body:
                fail(f"GET /v1/claims with the new token answered {status}: {body[:200]!r}")
            else:
                print("ok   the token lists claims", flush=True)

        blocks = RUN_BLOCK.findall(readme)
        if not blocks:
            fail("no README block is marked `<!-- first-hour: run -->` (the gRPC health check)")
        for i, block in enumerate(blocks, 1):
            run = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=clone, env=env,
                                 capture_output=True, text=True, timeout=600)
            if run.returncode != 0:
                fail(f"README run block {i} exited {run.returncode}:\n{block}\n{run.stderr[-2000:]}")
            else:
                compare(f"README run block {i}", shown(block), run.stdout)

        walkthrough = WALKTHROUGH_BLOCK.search(readme)
        if walkthrough is None:
            fail("the README's walk-through block is gone")
        else:
            expected = shown(walkthrough.group(1))
            binary = Path(env["CARGO_TARGET_DIR"]) / "release" / "claimdesk"
            for attempt in (1, 2):
                run = subprocess.run(["examples/walkthrough.sh"], cwd=clone, capture_output=True, text=True,
                                     env=dict(env, CLAIMDESK_BIN=str(binary)), timeout=300)
                if run.returncode != 0:
                    fail(f"examples/walkthrough.sh (run {attempt}) exited {run.returncode}: {run.stderr[-2000:]}")
                else:
                    compare(f"examples/walkthrough.sh (run {attempt})", expected, run.stdout)
    finally:
        if serve.poll() is None:
            serve.send_signal(signal.SIGTERM)
            try:
                code = serve.wait(timeout=30)
            except subprocess.TimeoutExpired:
                serve.kill()
                code = "none (killed after 30 s)"
            if code != 0:
                fail(f"serve exited with {code} after SIGTERM")
            else:
                print("ok   serve stopped on SIGTERM with exit code 0", flush=True)
        log.close()
        if not failures:
            subprocess.run(["rm", "-rf", str(work)])
        else:
            print(f"(the clone and serve.log are kept in {work})")


if __name__ == "__main__":
    main()
    if failures:
        print(f"first hour: {len(failures)} failure(s)")
        sys.exit(1)
    print("first hour: every README promise checked holds")
