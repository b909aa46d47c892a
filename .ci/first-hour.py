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
5. The walk-through typed by hand: the README's setup block (API, TOKEN), then the walk-through
   block, against the service from step 1; the same lines again.
6. SIGTERM stops serve with exit code 0.

The README's second command (`cargo test --workspace`) is what CI has just run. The clone's
`target/` is a link to this checkout's (or to CARGO_TARGET_DIR), so the clone reuses CI's build of
the dependencies. Ports 8080 and 50051, the README's, must be free.

    python3 .ci/first-hour.py      # needs git, cargo, curl, jq, python3 with venv
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SERVE = "cargo run --release -- serve"
TOKEN = "cargo run --release -- token create --name me --role admin"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SETUP_BLOCK = re.compile(r"<!-- first-hour: walkthrough setup[^\n]*?-->\n```sh\n(.*?)```\n", re.S)
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
    """(status, body); (None, the error) when nothing answers."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError as error:
        return None, str(error).encode()


def port_taken(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def run(command, cwd, env, timeout):
    """Runs `command` in a process group of its own: on a timeout the whole group is killed
    (a script's own server included), and the run counts as failed."""
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
        return process.returncode, out, err
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        return f"timeout after {timeout} s", out, err


def prints_as_shown(what, command, expected, cwd, env, timeout):
    """Runs `command`; it must succeed and print `expected`."""
    code, out, err = run(command, cwd, env, timeout)
    if code != 0:
        fail(f"{what} exited {code}:\n{err[-2000:]}")
    else:
        compare(what, expected, out)


def wait_ready(serve, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if serve.poll() is not None:
            return False
        if get("http://127.0.0.1:8080/readyz")[0] == 200:
            return True
        time.sleep(0.5)
    return False


def main():
    for port in (8080, 50051):
        if port_taken(port):
            fail(f"port {port}, the README's, is taken on 127.0.0.1: stop what listens there first")
            return
    work = Path(tempfile.mkdtemp(prefix="claimdesk-first-hour-"))
    clone = work / "claimdesk"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    readme = (clone / "README.md").read_text()
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target")).resolve()
    target.mkdir(exist_ok=True)
    (clone / "target").symlink_to(target)
    # The newcomer's shell: no test settings leak in.
    env = {name: value for name, value in os.environ.items()
           if not name.startswith("CLAIMDESK_") and name not in ("CARGO_TARGET_DIR", "RUST_LOG")}

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
            status, body = get(f"http://127.0.0.1:8080{path}")
            if status != 200:
                fail(f"GET {path} answered {status}: {body[:200]!r}")

        code, out, err = run(TOKEN.split(), clone, env, 600)
        secret = out.strip()
        if code != 0 or not secret.startswith("cdk_"):
            fail(f"`{TOKEN}` printed {secret!r}, exit {code}: {err[-500:]}")
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
            prints_as_shown(f"README run block {i}", ["bash", "-euo", "pipefail", "-c", block], shown(block),
                            clone, env, 600)

        walkthrough = WALKTHROUGH_BLOCK.search(readme)
        setup = SETUP_BLOCK.search(readme)
        if walkthrough is None or setup is None:
            fail("the README's walk-through block or its setup block is gone")
            return
        expected = shown(walkthrough.group(1))
        for attempt in (1, 2):
            prints_as_shown(f"examples/walkthrough.sh (run {attempt})", ["examples/walkthrough.sh"], expected,
                            clone, env, 300)
        typed = setup.group(1) + walkthrough.group(1)
        prints_as_shown("the walk-through typed against serve", ["bash", "-euo", "pipefail", "-c", typed],
                        expected, clone, env, 600)
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
