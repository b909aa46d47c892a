//! The `claimdesk` binary as users run it: real processes, real signals, real crashes.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::Path,
    process::{Child, Command, ExitStatus, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

const BIN: &str = env!("CARGO_BIN_EXE_claimdesk");
/// Every process starts with this admin token (CLAIMDESK_BOOTSTRAP_TOKEN).
const TOKEN: &str = claimdesk_tests::ADMIN_TOKEN;

/// A running `claimdesk` process whose log lines are collected as they come.
struct Process {
    child: Child,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

impl Process {
    fn start(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Process {
        let mut child = Command::new(BIN)
            .args(args)
            .current_dir(dir)
            .env_remove("CLAIMDESK_DATABASE_URL")
            .env("CLAIMDESK_HTTP_ADDR", "127.0.0.1:0")
            .env("CLAIMDESK_GRPC_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "info")
            .env("CLAIMDESK_BOOTSTRAP_TOKEN", TOKEN)
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("claimdesk starts");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Process { child, lines, log: Vec::new() }
    }

    /// Waits for a log line containing `needle` and returns the address it names as `addr=`.
    fn addr(&mut self, needle: &str) -> SocketAddr {
        self.try_addr(needle)
            .unwrap_or_else(|| panic!("no log line with {needle:?}; log so far:\n{}", self.log.join("\n")))
    }

    /// Like `addr`, but `None` when the process ends (or a minute passes) without that line.
    fn try_addr(&mut self, needle: &str) -> Option<SocketAddr> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.log.push(line.clone());
                    if found {
                        let addr = line
                            .split_whitespace()
                            .find_map(|word| word.strip_prefix("addr="))
                            .expect("the line names the address");
                        return Some(addr.parse().expect("an address"));
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        None
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill").args([signal, &self.child.id().to_string()]).status().expect("kill runs");
        assert!(status.success());
    }

    fn wait(&mut self) -> ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status;
            }
            assert!(Instant::now() < deadline, "claimdesk did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn rest_of_log(&mut self) -> String {
        self.log.extend(self.lines.try_iter());
        self.log.join("\n")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a one-shot command (`migrate`, `token`) in `dir`, which must succeed; answers its
/// standard output and error.
fn one_shot(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let output = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("CLAIMDESK_DATABASE_URL")
        .envs(env.iter().copied())
        .output()
        .expect("runs");
    assert!(output.status.success(), "{args:?}: {}", String::from_utf8_lossy(&output.stderr));
    (String::from_utf8(output.stdout).expect("utf-8"), String::from_utf8(output.stderr).expect("utf-8"))
}

fn client() -> reqwest::Client {
    claimdesk_tests::client_with_token(Some(TOKEN))
}

async fn create_claim(http: SocketAddr) -> Value {
    let response = client()
        .post(format!("http://{http}/v1/claims"))
        .json(&json!({
            "text": "Les États-Unis se préparaient à bombarder des installations militaires au Venezuela",
            "language": "fr",
            "claimant": "Miami Herald",
            "claimed_at": "2025-10"
        }))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    response.json().await.expect("json")
}

async fn status_of(url: String) -> Option<u16> {
    client().get(url).send().await.ok().map(|r| r.status().as_u16())
}

#[tokio::test]
async fn serve_uses_a_file_in_the_working_directory_and_exits_0_on_sigterm_and_sigint() {
    for signal in ["-TERM", "-INT"] {
        let dir = tempfile::tempdir().expect("dir");
        let mut serve = Process::start(dir.path(), &["serve"], &[]);
        let http = serve.addr("gateway HTTP listening");
        create_claim(http).await;
        assert!(dir.path().join("claimdesk.db").exists(), "no database file in the working directory");
        assert_eq!(status_of(format!("http://{http}/readyz")).await, Some(200));

        serve.signal(signal);
        let status = serve.wait();
        assert_eq!(status.code(), Some(0), "exit after {signal}; log:\n{}", serve.rest_of_log());
    }
}

#[tokio::test]
async fn an_acknowledged_claim_survives_a_crash() {
    let dir = tempfile::tempdir().expect("dir");
    let mut first = Process::start(dir.path(), &["serve"], &[]);
    let http = first.addr("gateway HTTP listening");
    let created = create_claim(http).await;
    first.child.kill().expect("SIGKILL");
    first.wait();

    let mut second = Process::start(dir.path(), &["serve"], &[]);
    let http = second.addr("gateway HTTP listening");
    let id = created["id"].as_str().expect("id");
    let read: Value =
        client().get(format!("http://{http}/v1/claims/{id}")).send().await.expect("sent").json().await.expect("json");
    assert_eq!(read, created);
}

#[tokio::test]
async fn core_and_gateway_run_apart_and_the_gateway_outlives_core() {
    let dir = tempfile::tempdir().expect("dir");
    let mut core = Process::start(dir.path(), &["core"], &[]);
    let grpc = core.addr("core gRPC listening");
    let core_url = format!("http://{grpc}");
    let mut gateway = Process::start(dir.path(), &["gateway", "--core-url", &core_url], &[]);
    let http = gateway.addr("gateway HTTP listening");
    let created = create_claim(http).await;
    let claim_url = format!("http://{http}/v1/claims/{}", created["id"].as_str().expect("id"));

    core.signal("-TERM");
    assert_eq!(core.wait().code(), Some(0));
    assert_eq!(status_of(claim_url.clone()).await, Some(503));
    assert_eq!(status_of(format!("http://{http}/readyz")).await, Some(503));
    assert_eq!(status_of(format!("http://{http}/healthz")).await, Some(200));

    // Back on the same port. A client socket of a test running alongside may hold that port
    // for a moment: retry while the failure is the port.
    let grpc_addr = grpc.to_string();
    let mut core = Process::start(dir.path(), &["core"], &[("CLAIMDESK_GRPC_ADDR", &grpc_addr)]);
    for _ in 0..20 {
        if core.try_addr("core gRPC listening").is_some() {
            break;
        }
        let log = core.rest_of_log();
        assert!(log.contains("cannot listen for gRPC"), "core did not come back: {log}");
        std::thread::sleep(Duration::from_millis(200));
        core = Process::start(dir.path(), &["core"], &[("CLAIMDESK_GRPC_ADDR", &grpc_addr)]);
    }
    let mut back = None;
    for _ in 0..50 {
        back = status_of(claim_url.clone()).await;
        if back == Some(200) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(back, Some(200), "gateway did not recover when core came back");
    gateway.signal("-TERM");
    assert_eq!(gateway.wait().code(), Some(0));
}

#[tokio::test]
async fn a_bad_database_url_fails_clearly_without_a_panic() {
    let dir = tempfile::tempdir().expect("dir");
    let mut serve = Process::start(dir.path(), &["serve"], &[("CLAIMDESK_DATABASE_URL", "mysql://localhost/claims")]);
    let status = serve.wait();
    let log = serve.rest_of_log();
    assert_eq!(status.code(), Some(1), "{log}");
    assert!(log.contains("unsupported database URL"), "{log}");
    assert!(!log.contains("panicked") && !log.contains("backtrace"), "{log}");
}

/// Several instances on one PostgreSQL database: two cores (started together, so their
/// migrations contend for the lock), each with its own gateway, and 8 editors updating the same
/// claims through both gateways with If-Match. No acknowledged update may be lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_postgres_lose_no_acknowledged_update() {
    if !claimdesk_tests::postgres_available() {
        return;
    }
    let db = claimdesk_tests::TestDatabase::create();
    let dir = tempfile::tempdir().expect("dir");
    let env = [("CLAIMDESK_DATABASE_URL", db.url.as_str())];
    let mut core_a = Process::start(dir.path(), &["core"], &env);
    let mut core_b = Process::start(dir.path(), &["core"], &env);
    let grpc_a = format!("http://{}", core_a.addr("core gRPC listening"));
    let grpc_b = format!("http://{}", core_b.addr("core gRPC listening"));
    let mut gateway_a = Process::start(dir.path(), &["gateway", "--core-url", &grpc_a], &[]);
    let mut gateway_b = Process::start(dir.path(), &["gateway", "--core-url", &grpc_b], &[]);
    let gateways = [gateway_a.addr("gateway HTTP listening"), gateway_b.addr("gateway HTTP listening")];

    let mut claims = Vec::new();
    for _ in 0..3 {
        claims.push(create_claim(gateways[0]).await["id"].as_str().expect("id").to_owned());
    }
    const EDITORS: usize = 8;
    const EDITS_EACH: usize = 10;
    let editors = (0..EDITORS).map(|editor| {
        let claims = claims.clone();
        async move {
            let http = client();
            let base = format!("http://{}", gateways[editor % 2]);
            let mut acknowledged = Vec::new();
            let mut conflicts = 0;
            for edit in 0..EDITS_EACH {
                let id = &claims[(editor + edit) % claims.len()];
                let context = format!("editor {editor} edit {edit}");
                loop {
                    let read = http.get(format!("{base}/v1/claims/{id}")).send().await.expect("read");
                    let etag = read.headers()["etag"].to_str().expect("etag").to_owned();
                    let response = http
                        .patch(format!("{base}/v1/claims/{id}"))
                        .header("if-match", etag)
                        .json(&json!({"context": context}))
                        .send()
                        .await
                        .expect("sent");
                    match response.status().as_u16() {
                        200 => {
                            let claim: Value = response.json().await.expect("json");
                            acknowledged.push((id.clone(), claim["version"].as_i64().expect("version"), context));
                            break;
                        }
                        412 => conflicts += 1,
                        other => {
                            panic!("editor {editor}: unexpected {other}: {}", response.text().await.unwrap_or_default())
                        }
                    }
                }
            }
            (acknowledged, conflicts)
        }
    });
    let results = futures_util::future::join_all(editors).await;
    let conflicts: usize = results.iter().map(|(_, c)| c).sum();
    let acknowledged: Vec<(String, i64, String)> = results.into_iter().flat_map(|(a, _)| a).collect();
    assert_eq!(acknowledged.len(), EDITORS * EDITS_EACH);

    let http = client();
    for id in &claims {
        let claim: Value = http
            .get(format!("http://{}/v1/claims/{id}", gateways[1]))
            .send()
            .await
            .expect("read")
            .json()
            .await
            .expect("json");
        let history: Value = http
            .get(format!("http://{}/v1/claims/{id}/history?page_size=100", gateways[0]))
            .send()
            .await
            .expect("read")
            .json()
            .await
            .expect("json");
        let events = history["events"].as_array().expect("events");
        let versions: Vec<i64> = events.iter().filter_map(|e| e["version"].as_i64()).collect();
        let last = claim["version"].as_i64().expect("version");
        assert_eq!(versions, (1..=last).collect::<Vec<_>>(), "versions without gaps or repeats");
        let mine: Vec<&(String, i64, String)> = acknowledged.iter().filter(|(c, _, _)| c == id).collect();
        assert_eq!(mine.len() as i64, last - 1, "every acknowledged edit is one version, and nothing else is");
        let mut context = Value::Null;
        for event in events {
            let change = &event["change"];
            if change["kind"] == "edited" {
                let after = &change["changes"][0]["after"];
                let version = event["version"].as_i64().expect("version");
                let acked = mine.iter().find(|(_, v, _)| *v == version).expect("an acknowledged edit per version");
                assert_eq!(after.as_str(), Some(acked.2.as_str()), "version {version} holds what was acknowledged");
                context = after.clone();
            }
        }
        assert_eq!(claim["context"], context, "the claim equals the replay of its history");
    }
    eprintln!("multi-instance: {} acknowledged edits, {conflicts} stale If-Match retries", acknowledged.len());
    for process in [&mut gateway_a, &mut gateway_b, &mut core_a, &mut core_b] {
        process.signal("-TERM");
        assert_eq!(process.wait().code(), Some(0));
    }
}

/// Start-up against a database it cannot use: a clear one-line reason, exit code 1, no panic.
#[tokio::test]
async fn database_problems_at_start_up_are_named() {
    let dir = tempfile::tempdir().expect("dir");
    let mut cases = vec![(
        "postgres://postgres@127.0.0.1:1/test".to_owned(),
        "cannot reach the database at postgres://postgres@127.0.0.1:1/test",
    )];
    if claimdesk_tests::postgres_available() {
        let admin = claimdesk_tests::postgres_admin_url();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base).to_owned();
        let host = base.rsplit_once('@').map_or(base.as_str(), |(_, host)| host).to_owned();
        cases.push((format!("{base}/claimdesk_no_such_database"), "does not exist"));
        cases.push((format!("postgres://claimdesk_no_such_role:secret@{host}/test"), "refused the credentials"));
    }
    for (url, expected) in cases {
        let mut serve = Process::start(
            dir.path(),
            &["serve"],
            &[("CLAIMDESK_DATABASE_URL", &url), ("CLAIMDESK_DB_CONNECT_TIMEOUT", "1")],
        );
        let status = serve.wait();
        let log = serve.rest_of_log();
        assert_eq!(status.code(), Some(1), "{url}: {log}");
        assert!(log.contains(expected), "{url}: expected {expected:?} in:\n{log}");
        assert!(!log.contains("panicked") && !log.contains("secret"), "{url}: {log}");
    }
}

/// `CLAIMDESK_DB_CONNECT_TIMEOUT` is how long an unreachable database is waited for, all of it
/// (the back-off used to give up a retry early), and the failure is one clean line.
#[tokio::test]
async fn the_connect_timeout_is_honoured_and_the_error_is_one_line() {
    let dir = tempfile::tempdir().expect("dir");
    let started = std::time::Instant::now();
    let output = Command::new(BIN)
        .arg("migrate")
        .current_dir(dir.path())
        .env("CLAIMDESK_DATABASE_URL", "postgres://postgres@127.0.0.1:1/test")
        .env("CLAIMDESK_DB_CONNECT_TIMEOUT", "5")
        .output()
        .expect("runs");
    let waited = started.elapsed();
    assert_eq!(output.status.code(), Some(1));
    assert!(waited >= Duration::from_secs(5), "gave up after {waited:?}");
    assert!(waited < Duration::from_secs(9), "kept trying for {waited:?}");
    let stderr = String::from_utf8(output.stderr).expect("utf-8");
    let error: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(error.len(), 1, "{stderr}");
    assert!(error[0].contains("cannot reach the database at postgres://postgres@127.0.0.1:1/test"), "{stderr}");
    assert!(!stderr.contains('\t'), "a tab in: {stderr:?}");
}

/// At the default level every request leaves one access-log line: method, route, status,
/// latency, who (the token's id and name) and the request id; never the token or the body.
#[tokio::test]
async fn every_request_leaves_one_access_log_line_at_info() {
    let dir = tempfile::tempdir().expect("dir");
    let mut serve = Process::start(dir.path(), &["serve"], &[]);
    let http = serve.addr("gateway HTTP listening");
    let created = create_claim(http).await;
    let id = created["id"].as_str().expect("id");
    let read = client().get(format!("http://{http}/v1/claims/{id}")).header("x-request-id", "walk-7").send().await;
    assert_eq!(read.expect("sent").status(), 200);
    serve.signal("-TERM");
    assert_eq!(serve.wait().code(), Some(0));
    let log = serve.rest_of_log();
    let answered: Vec<&str> = log.lines().filter(|l| l.contains("answered")).collect();
    assert_eq!(answered.len(), 2, "one line per request:\n{log}");
    let line = answered[1];
    for field in [
        "request_id=walk-7",
        "method=GET",
        "route=/v1/claims/{id}",
        "status=200",
        "took_ms=",
        "principal=",
        ":bootstrap",
    ] {
        assert!(line.contains(field), "{field} missing from {line}");
    }
    assert!(answered[0].contains("method=POST") && answered[0].contains("status=201"), "{}", answered[0]);
    assert!(!log.contains(TOKEN) && !log.contains("bombarder"), "a token or a body in the log:\n{log}");
}

/// One process owns a SQLite database: a second core on the same file stops at start-up with a
/// clear reason; the lock goes with the process that held it, even when it is killed.
#[tokio::test]
async fn a_second_core_on_one_sqlite_file_is_refused_until_the_first_is_gone() {
    let dir = tempfile::tempdir().expect("dir");
    let mut first = Process::start(dir.path(), &["serve"], &[]);
    first.addr("gateway HTTP listening");
    let mut second = Process::start(dir.path(), &["core"], &[]);
    assert_eq!(second.wait().code(), Some(1));
    let log = second.rest_of_log();
    assert!(log.contains("another claimdesk core is serving the SQLite database claimdesk.db"), "{log}");
    assert!(!log.contains("panicked"), "{log}");

    first.signal("-KILL");
    first.wait();
    let mut third = Process::start(dir.path(), &["serve"], &[]);
    let http = third.addr("gateway HTTP listening");
    assert_eq!(status_of(format!("http://{http}/v1/claims")).await, Some(200));
    // A one-shot command beside a running core is fine: SQLite takes turns between processes.
    one_shot(dir.path(), &["token", "list"], &[]);
}

/// No secret reaches the logs, even at debug level: not the bootstrap token, not one created
/// over the API, not an unknown one a client tries.
#[tokio::test]
async fn tokens_never_appear_in_log_lines() {
    let dir = tempfile::tempdir().expect("dir");
    let mut serve = Process::start(dir.path(), &["serve"], &[("RUST_LOG", "debug")]);
    let http = serve.addr("gateway HTTP listening");
    let created: Value = client()
        .post(format!("http://{http}/v1/tokens"))
        .json(&json!({"name": "ci", "role": "editor"}))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let secret = created["secret"].as_str().expect("secret").to_owned();
    let as_new = claimdesk_tests::client_with_token(Some(&secret));
    assert_eq!(as_new.get(format!("http://{http}/v1/claims")).send().await.expect("sent").status(), 200);
    let unknown = claimdesk_tests::client_with_token(Some("cdk_not_a_real_token_but_shaped_like_one"));
    assert_eq!(unknown.get(format!("http://{http}/v1/claims")).send().await.expect("sent").status(), 401);
    serve.signal("-TERM");
    assert_eq!(serve.wait().code(), Some(0));
    let log = serve.rest_of_log();
    assert!(log.lines().count() > 5, "debug logging produced nothing to check");
    for leaked in [TOKEN, &secret[4..], "not_a_real_token"] {
        assert!(!log.contains(leaked), "a secret is in the log:\n{log}");
    }
}

/// `claimdesk token create` against the configured database prints a secret, once, that the
/// service then accepts with the role asked for.
#[tokio::test]
async fn token_create_prints_a_working_secret() {
    let dir = tempfile::tempdir().expect("dir");
    let output = Command::new(BIN)
        .args(["token", "create", "--name", "desk-bot", "--role", "reporter"])
        .current_dir(dir.path())
        .env_remove("CLAIMDESK_DATABASE_URL")
        .output()
        .expect("runs");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let secret = String::from_utf8(output.stdout).expect("utf-8").trim().to_owned();
    assert!(secret.starts_with("cdk_") && secret.len() > 40, "{secret}");
    assert!(!String::from_utf8_lossy(&output.stderr).contains(&secret), "the secret is printed once, on stdout");

    let bad =
        Command::new(BIN).args(["token", "create", "--name", "x", "--role", "owner"]).current_dir(dir.path()).output();
    let bad = bad.expect("runs");
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown role"));

    let mut serve = Process::start(dir.path(), &["serve"], &[]);
    let http = serve.addr("gateway HTTP listening");
    let as_bot = claimdesk_tests::client_with_token(Some(&secret));
    let created = as_bot
        .post(format!("http://{http}/v1/claims"))
        .json(&json!({"text": "Les États-Unis déploieront treize navires", "language": "fr"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.expect("json");
    let patch = as_bot
        .patch(format!("http://{http}/v1/claims/{}", created["id"].as_str().expect("id")))
        .header("if-match", "\"1\"")
        .json(&json!({"context": "x"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(patch.status(), 403, "a reporter does not edit");
    serve.signal("-TERM");
    assert_eq!(serve.wait().code(), Some(0));

    // Listed without its secret, revoked by id from the shell, refused afterwards.
    let shell = |args: &[&str]| one_shot(dir.path(), args, &[]);
    let (listed, _) = shell(&["token", "list"]);
    let row = listed.lines().find(|l| l.ends_with("desk-bot")).unwrap_or_else(|| panic!("desk-bot in:\n{listed}"));
    assert!(!listed.contains(&secret[4..]), "a secret is listed:\n{listed}");
    let id = row.split_whitespace().next().expect("id").to_owned();
    assert!(row.contains("reporter") && row.split_whitespace().nth(5) == Some("-"), "not revoked yet: {row}");
    let (_, said) = shell(&["token", "revoke", &id]);
    assert!(said.contains(&id), "{said}");
    let (listed, _) = shell(&["token", "list"]);
    let row = listed.lines().find(|l| l.ends_with("desk-bot")).expect("still listed");
    assert_ne!(row.split_whitespace().nth(5), Some("-"), "revoked: {row}");
    let mut serve = Process::start(dir.path(), &["serve"], &[]);
    let http = serve.addr("gateway HTTP listening");
    let refused = as_bot.get(format!("http://{http}/v1/claims")).send().await.expect("sent");
    assert_eq!(refused.status(), 401, "a revoked token is refused");

    // One-shot commands do not offer the server's flags.
    let (help, _) = shell(&["token", "list", "--help"]);
    assert!(help.contains("--database-url") && !help.contains("--db-pool-size"), "{help}");
    let (help, _) = shell(&["migrate", "--help"]);
    assert!(!help.contains("--db-pool-size"), "{help}");
    let (help, _) = shell(&["serve", "--help"]);
    assert!(help.contains("--db-pool-size"), "{help}");
}

/// `migrate --status` prints one line per migration in one format, before and after
/// `migrate`, and never creates the database it is asked about.
#[tokio::test]
async fn migrate_status_prints_one_format_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let migrate = |args: &[&str]| {
        let args: Vec<&str> = std::iter::once("migrate").chain(args.iter().copied()).collect();
        let (stdout, _) = one_shot(dir.path(), &args, &[("CLAIMDESK_DATABASE_URL", "sqlite://desk.db")]);
        let lines: Vec<(String, String)> = stdout
            .lines()
            .map(|l| {
                let (state, name) = l.split_once("  ").expect("two columns");
                (state.to_owned(), name.to_owned())
            })
            .collect();
        lines
    };
    let before = migrate(&["--status"]);
    assert!(!dir.path().join("desk.db").exists(), "a status query created the database");
    assert!(before.len() >= 7 && before.iter().all(|(state, _)| state == "pending"), "{before:?}");
    assert_eq!(before[0].1, "2026-11-28-000001_create_claims");

    let applied = migrate(&[]);
    let after = migrate(&["--status"]);
    assert_eq!(applied, after, "migrate prints the status it leaves");
    let expected: Vec<(String, String)> = before.iter().map(|(_, name)| ("applied".to_owned(), name.clone())).collect();
    assert_eq!(after, expected, "the same names, now applied");
}

/// `claimdesk import claimreview FILE` stores a published page's review in the configured
/// database, prints the report, finds it again on a second run, and refuses a SQLite database
/// a running core owns.
#[tokio::test]
async fn import_claimreview_stores_a_page_and_finds_it_again() {
    let dir = tempfile::tempdir().expect("dir");
    let page = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/claimreview/afp-factuel-page.html");
    let env = [("CLAIMDESK_DATABASE_URL", "sqlite://desk.db")];
    let report = |stdout: String| -> Value { serde_json::from_str(&stdout).expect("a JSON report") };
    let (first, _) = one_shot(dir.path(), &["import", "claimreview", page], &env);
    let first = report(first);
    assert_eq!(first["created"], 1, "{first}");
    assert_eq!(first["items"][0]["verdict"], "false");
    let (second, _) = one_shot(dir.path(), &["import", "claimreview", page], &env);
    let second = report(second);
    assert_eq!(second["unchanged"], 1, "{second}");
    assert_eq!(second["items"][0]["claim_id"], first["items"][0]["claim_id"]);

    // A document with no review fails with a one-line reason, exit status 1.
    std::fs::write(dir.path().join("empty.json"), r#"{"@type": "NewsArticle"}"#).expect("written");
    let refused = Command::new(BIN)
        .args(["import", "claimreview", "empty.json"])
        .current_dir(dir.path())
        .envs(env)
        .output()
        .expect("runs");
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("holds no ClaimReview") && !stderr.contains("panicked"), "{stderr}");

    // While a core serves the file, the import is refused: one process owns a SQLite database.
    let mut server = Process::start(dir.path(), &["serve"], &env);
    server.addr("gateway HTTP listening");
    let busy = Command::new(BIN)
        .args(["import", "claimreview", page])
        .current_dir(dir.path())
        .envs(env)
        .output()
        .expect("runs");
    assert!(!busy.status.success());
    assert!(
        String::from_utf8_lossy(&busy.stderr).contains("another claimdesk core"),
        "{}",
        String::from_utf8_lossy(&busy.stderr)
    );
}

/// SIGTERM while a request is in flight: the request still completes (its claim is stored and
/// acknowledged), then the process exits 0.
#[tokio::test]
async fn sigterm_lets_an_in_flight_request_finish() {
    use std::io::{Read, Write};

    let dir = tempfile::tempdir().expect("dir");
    let mut serve = Process::start(dir.path(), &["serve"], &[]);
    let http = serve.addr("gateway HTTP listening");
    let body = json!({"text": "Le Kremlin a admis avoir des contacts avec le Venezuela", "language": "fr"}).to_string();
    let (first, second) = body.split_at(body.len() / 2);
    let mut stream = std::net::TcpStream::connect(http).expect("connects");
    stream.set_read_timeout(Some(Duration::from_secs(20))).expect("timeout");
    write!(
        stream,
        "POST /v1/claims HTTP/1.1\r\nHost: claimdesk\r\nAuthorization: Bearer {TOKEN}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{first}",
        body.len()
    )
    .expect("first half sent");
    stream.flush().expect("flushed");
    std::thread::sleep(Duration::from_millis(300));

    serve.signal("-TERM");
    std::thread::sleep(Duration::from_millis(300));
    assert!(serve.child.try_wait().expect("wait").is_none(), "exited with a request in flight");
    stream.write_all(second.as_bytes()).expect("second half sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");

    assert_eq!(serve.wait().code(), Some(0), "{}", serve.rest_of_log());
}

/// Writers keep creating claims while the process is killed (SIGKILL) at a moment that differs
/// from run to run; after a restart every acknowledged claim is there, as acknowledged. Three
/// kills per run.
async fn acknowledged_writes_survive_sigkill_at_any_moment(env: &[(&str, &str)]) {
    let dir = tempfile::tempdir().expect("dir");
    let env = [env, &[("CLAIMDESK_RATE_LIMIT_PER_MINUTE", "0")]].concat();
    let env = env.as_slice();
    let mut acknowledged: Vec<(String, String)> = Vec::new();
    for round in 0..3 {
        let mut serve = Process::start(dir.path(), &["serve"], env);
        let http = serve.addr("gateway HTTP listening");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let writers: Vec<_> = (0..4)
            .map(|writer| {
                let stop = stop.clone();
                tokio::spawn(async move {
                    let http_client = client();
                    let mut acked = Vec::new();
                    for n in 0.. {
                        if stop.load(std::sync::atomic::Ordering::Relaxed) {
                            break;
                        }
                        let text = format!("Round {round}, writer {writer}, claim {n}: la Russie a livré des radars");
                        let sent = http_client
                            .post(format!("http://{http}/v1/claims"))
                            .json(&json!({"text": text, "language": "fr", "claimant": format!("Source {writer}")}))
                            .send()
                            .await;
                        match sent {
                            Ok(response) if response.status() == 201 => match response.json::<Value>().await {
                                Ok(claim) => acked.push((claim["id"].as_str().expect("id").to_owned(), text)),
                                Err(_) => break,
                            },
                            _ => break,
                        }
                    }
                    acked
                })
            })
            .collect();
        // A moment between 0.3 and 1.5 s that differs from run to run.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").subsec_nanos();
        tokio::time::sleep(Duration::from_millis(300 + u64::from(nanos % 1200))).await;
        serve.child.kill().expect("SIGKILL");
        serve.wait();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for writer in writers {
            acknowledged.extend(writer.await.expect("writer"));
        }
    }
    assert!(acknowledged.len() >= 10, "the writers got only {} acknowledgements", acknowledged.len());
    eprintln!("{} acknowledged claims across 3 SIGKILLs", acknowledged.len());
    let mut serve = Process::start(dir.path(), &["serve"], env);
    let http = serve.addr("gateway HTTP listening");
    let http_client = client();
    for (id, text) in &acknowledged {
        let response = http_client.get(format!("http://{http}/v1/claims/{id}")).send().await.expect("sent");
        assert_eq!(response.status(), 200, "acknowledged claim {id} lost");
        let claim: Value = response.json().await.expect("json");
        assert_eq!(claim["text"].as_str(), Some(text.as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill_on_sqlite() {
    acknowledged_writes_survive_sigkill_at_any_moment(&[]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_writes_survive_sigkill_on_postgres() {
    if !claimdesk_tests::postgres_available() {
        return;
    }
    let db = claimdesk_tests::TestDatabase::create();
    acknowledged_writes_survive_sigkill_at_any_moment(&[("CLAIMDESK_DATABASE_URL", db.url.as_str())]).await;
}

/// With `CLAIMDESK_LOG_FORMAT=json` every line is a JSON object, and the lines of one request,
/// the gateway's and core's, carry its request id.
#[tokio::test]
async fn json_logs_carry_the_request_id_through_gateway_and_core() {
    let dir = tempfile::tempdir().expect("dir");
    let env = [("CLAIMDESK_LOG_FORMAT", "json"), ("RUST_LOG", "info,claimdesk_core=debug")];
    let mut serve = Process::start(dir.path(), &["serve"], &env);
    let deadline = Instant::now() + Duration::from_secs(60);
    let http: SocketAddr = loop {
        assert!(Instant::now() < deadline, "no listening line; log:\n{}", serve.rest_of_log());
        let Ok(line) = serve.lines.recv_timeout(Duration::from_millis(200)) else { continue };
        serve.log.push(line.clone());
        let entry: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        if entry["fields"]["message"] == "gateway HTTP listening" {
            break entry["fields"]["addr"].as_str().expect("addr").parse().expect("address");
        }
    };
    let response = client()
        .get(format!("http://{http}/v1/claims"))
        .header("x-request-id", "trace-me-42")
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let log = serve.rest_of_log();
    let tagged: Vec<Value> = log
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .filter(|entry| entry["span"]["request_id"] == "trace-me-42")
        .collect();
    let targets: Vec<&str> = tagged.iter().filter_map(|e| e["target"].as_str()).collect();
    assert!(targets.iter().any(|t| t.starts_with("claimdesk_api")), "no gateway line with the id: {targets:?}\n{log}");
    assert!(targets.iter().any(|t| t.starts_with("claimdesk_core")), "no core line with the id: {targets:?}\n{log}");
}

/// A SIGKILL in the middle of a webhook backlog loses no delivery: what waited (and what was in
/// flight) is sent after the restart, each event at least once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_deliveries_survive_sigkill() {
    use claimdesk_tests::webhooks::Receiver;
    let receiver = Receiver::start(std::sync::Arc::new(|_| (200, Duration::from_millis(150), None)));
    let dir = tempfile::tempdir().expect("dir");
    let env = [("CLAIMDESK_WEBHOOK_ALLOWED_HOSTS", "127.0.0.1"), ("CLAIMDESK_WEBHOOK_TIMEOUT_SECS", "2")];
    let mut first = Process::start(dir.path(), &["serve"], &env);
    let http = first.addr("gateway HTTP listening");
    let response = client()
        .post(format!("http://{http}/v1/webhooks"))
        .json(&json!({"url": receiver.url, "events": ["created"]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 201);
    let mut created = Vec::new();
    for _ in 0..12 {
        created.push(create_claim(http).await["id"].as_str().expect("id").to_owned());
    }
    receiver.wait_for(3, Duration::from_secs(20)).await;
    first.child.kill().expect("SIGKILL");
    first.wait();
    let before = receiver.acknowledged().len();
    assert!(before < created.len(), "the backlog was gone before the kill ({before})");

    let mut second = Process::start(dir.path(), &["serve"], &env);
    second.addr("gateway HTTP listening");
    let got = receiver.wait_for(created.len(), Duration::from_secs(30)).await;
    let delivered: std::collections::HashSet<String> = got
        .iter()
        .map(|m| serde_json::from_str::<Value>(&m.body).expect("json")["claim_id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(delivered, created.into_iter().collect(), "every claim's creation delivered");
}

/// Runs the binary to completion: its exit code, standard output and standard error.
fn run_bin(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let output = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env_remove("CLAIMDESK_DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .expect("runs");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn rest(http: SocketAddr, method: reqwest::Method, path: &str, body: Option<Value>, etag: Option<&str>) -> Value {
    let mut request = client().request(method, format!("http://{http}{path}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    if let Some(etag) = etag {
        request = request.header("if-match", etag);
    }
    let response = request.send().await.expect("sent");
    assert!(response.status().is_success(), "{path}: {}", response.status());
    response.json().await.expect("json")
}

/// A desk's worth of data, made through the API: sources with aliases and a grade, claims with
/// relayed and quoted statements, tags, verdicts, an edit and a merge.
async fn fill_desk(http: SocketAddr) {
    use reqwest::Method;
    let source = |body: Value| rest(http, Method::POST, "/v1/sources", Some(body), None);
    let afp = source(json!({"name": "Agence France-Presse", "kind": "news_agency", "aliases": ["AFP"],
        "reliability": {"grade": "A", "rationale": "agence"}, "homepage": "https://www.afp.com/"}))
    .await;
    let wapo = source(json!({"name": "The Washington Post", "kind": "news_outlet"})).await;
    let kremlin =
        source(json!({"name": "Dmitri Peskov", "kind": "person", "descriptor": "porte-parole du Kremlin"})).await;
    let (afp, wapo, kremlin) = (afp["id"].clone(), wapo["id"].clone(), kremlin["id"].clone());
    let mut ids = Vec::new();
    for (text, tags) in [
        ("Maduro a demandé l'aide militaire de la Russie", json!(["venezuela", "russie"])),
        ("Des bombardiers B-52 ont survolé la côte vénézuélienne", json!(["venezuela"])),
        ("Maduro a demandé l'aide militaire de Moscou", json!([])),
    ] {
        let claim = rest(
            http,
            Method::POST,
            "/v1/claims",
            Some(
                json!({"text": text, "language": "fr", "claimant_id": wapo, "claimed_at": "2025-10-24", "tags": tags}),
            ),
            None,
        )
        .await;
        ids.push(claim["id"].as_str().expect("id").to_owned());
    }
    let etag = |id: &str| {
        let id = id.to_owned();
        async move {
            let response = client().get(format!("http://{http}/v1/claims/{id}")).send().await.expect("sent");
            response.headers()["etag"].to_str().expect("ascii").to_owned()
        }
    };
    let first = &ids[0];
    for body in [
        json!({"speaker_id": wapo, "stance": "asserts", "relay_ids": [afp], "url": "https://www.washingtonpost.com/x", "published_at": "2025-10-24"}),
        json!({"speaker_id": kremlin, "stance": "denies", "quote": "Nous n'avons reçu aucune demande", "published_at": "2025-10-27T09:30:00Z"}),
    ] {
        let tag = etag(first).await;
        rest(http, Method::POST, &format!("/v1/claims/{first}/attributions"), Some(body), Some(&tag)).await;
    }
    for (status, note) in [("in_review", None), ("disputed", Some("Démenti du Kremlin"))] {
        let tag = etag(first).await;
        let body = json!({"status": status, "note": note});
        rest(http, Method::POST, &format!("/v1/claims/{first}/status"), Some(body), Some(&tag)).await;
    }
    let tag = etag(&ids[1]).await;
    let response = client()
        .patch(format!("http://{http}/v1/claims/{}", ids[1]))
        .header("if-match", tag)
        .header("content-type", "application/merge-patch+json")
        .body(json!({"context": "Selon des données de vol publiques"}).to_string())
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success());
    let tag = etag(first).await;
    rest(http, Method::POST, &format!("/v1/claims/{first}/merge"), Some(json!({"duplicate_id": ids[2]})), Some(&tag))
        .await;
}

/// Export, then import into an empty database, gives the same claims, sources, attributions,
/// statuses and history, SQLite → PostgreSQL → SQLite: each export byte for byte the first.
/// Importing again stores nothing twice.
#[tokio::test]
async fn export_then_import_round_trips_between_sqlite_and_postgres() {
    if !claimdesk_tests::postgres_available() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let sqlite = "sqlite://desk.db";
    let mut serve = Process::start(dir.path(), &["serve"], &[("CLAIMDESK_DATABASE_URL", sqlite)]);
    fill_desk(serve.addr("gateway HTTP listening")).await;
    serve.signal("-TERM");
    assert!(serve.wait().success());

    let export = |url: &str, file: &str| {
        let (code, _, stderr) = run_bin(dir.path(), &["export", "--database-url", url, "--output", file]);
        assert_eq!(code, Some(0), "{stderr}");
        std::fs::read_to_string(dir.path().join(file)).expect("export written")
    };
    let import = |url: &str, file: &str| -> Value {
        let (code, stdout, stderr) = run_bin(dir.path(), &["import", file, "--database-url", url]);
        assert_eq!(code, Some(0), "{stderr}");
        serde_json::from_str(&stdout).expect("a JSON summary")
    };
    let first = export(sqlite, "a.jsonl");
    let lines: Vec<Value> = first.lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(lines.iter().filter(|l| l["type"] == "source").count(), 3);
    assert_eq!(lines.iter().filter(|l| l["type"] == "claim").count(), 3);
    assert!(lines.iter().all(|l| l["type"] != "claim" || l["history"].as_array().is_some_and(|h| !h.is_empty())));

    let postgres = claimdesk_tests::TestDatabase::create();
    let summary = import(&postgres.url, "a.jsonl");
    assert_eq!((summary["created"].as_u64(), summary["rejected"].as_u64()), (Some(6), Some(0)), "{summary}");
    assert_eq!(export(&postgres.url, "b.jsonl"), first, "SQLite → PostgreSQL keeps everything");
    let again = import(&postgres.url, "a.jsonl");
    assert_eq!((again["created"].as_u64(), again["unchanged"].as_u64()), (Some(0), Some(6)), "{again}");

    let summary = import("sqlite://back.db", "b.jsonl");
    assert_eq!(summary["created"], 6, "{summary}");
    assert_eq!(export("sqlite://back.db", "c.jsonl"), first, "PostgreSQL → SQLite keeps everything");

    // The CSV: a header and one row per claim.
    let (code, csv, _) = run_bin(dir.path(), &["export", "--database-url", sqlite, "--format", "csv"]);
    assert_eq!(code, Some(0));
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("id,text,language,status,sourcing_level,claimant"), "{csv}");
    assert_eq!(rows.len(), 4, "{csv}");
    assert!(csv.contains("disputed"), "{csv}");
}

/// A file with bad lines: each is reported with its number and reason, the good ones are
/// stored, and a rerun (an interrupted import taken again) stores nothing twice.
#[tokio::test]
async fn bad_lines_are_rejected_alone_and_a_rerun_duplicates_nothing() {
    let dir = tempfile::tempdir().expect("dir");
    let source =
        r#"{"type":"source","id":"01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47","name":"Miami Herald","kind":"news_outlet"}"#;
    let mut file: Vec<u8> = Vec::new();
    let mut line = |bytes: &[u8]| {
        file.extend_from_slice(bytes);
        file.push(b'\n');
    };
    line(source.as_bytes()); // 1
    line(b"{not json"); // 2
    line(b"{\"text\": \"caf\xe9\", \"language\": \"fr\"}"); // 3: Latin-1, not UTF-8
    line(br#"{"text": "Une affirmation", "language": "fr", "attributions": [{"speaker_id": "01964b6e-7a4f-7c3e-9d2a-000000000000", "stance": "asserts"}]}"#); // 4
    line(br#"{"text": "Les Etats-Unis preparaient des frappes", "language": "fr", "claimant_id": "01964b6e-7a4f-7c3e-9d2a-5b8c1e0f3a47", "status": "in_review"}"#); // 5
    let huge = format!(r#"{{"text": "{}", "language": "fr"}}"#, "a".repeat(2 * 1024 * 1024));
    line(huge.as_bytes()); // 6
    line(b""); // 7: blank, skipped
    line(br#"{"text": "Statut inconnu", "language": "fr", "status": "bogus"}"#); // 8
    line(br#"{"text": "Trois bombardiers au large du Venezuela", "language": "fr", "claimant": "Un internaute", "status": "false"}"#); // 9
    std::fs::write(dir.path().join("lines.jsonl"), &file).expect("written");

    let run = || {
        let (code, stdout, stderr) =
            run_bin(dir.path(), &["import", "lines.jsonl", "--database-url", "sqlite://desk.db"]);
        assert_eq!(code, Some(2), "exit 2 when lines were rejected: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        serde_json::from_str::<Value>(&stdout).expect("a JSON summary")
    };
    let first = run();
    assert_eq!((first["created"].as_u64(), first["rejected"].as_u64()), (Some(3), Some(5)), "{first}");
    let rejected: Vec<u64> =
        first["rejections"].as_array().expect("rejections").iter().map(|r| r["line"].as_u64().expect("line")).collect();
    assert_eq!(rejected, [2, 3, 4, 6, 8]);
    let reasons = first["rejections"].to_string();
    for expected in ["not JSON", "not UTF-8", "no source has id", "more than 1048576 bytes", "status"] {
        assert!(reasons.contains(expected), "{expected}: {reasons}");
    }
    let second = run();
    assert_eq!((second["created"].as_u64(), second["unchanged"].as_u64()), (Some(0), Some(3)), "{second}");

    let (_, csv, _) = run_bin(dir.path(), &["export", "--database-url", "sqlite://desk.db", "--format", "csv"]);
    assert_eq!(csv.lines().count(), 3, "two claims and the header: {csv}");
    assert!(csv.contains(",false,") && csv.contains(",in_review,"), "{csv}");
}
