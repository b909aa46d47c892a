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
                        return addr.parse().expect("an address");
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!("no log line with {needle:?}; log so far:\n{}", self.log.join("\n"));
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

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("client")
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

    let grpc_addr = grpc.to_string();
    let mut core = Process::start(dir.path(), &["core"], &[("CLAIMDESK_GRPC_ADDR", &grpc_addr)]);
    core.addr("core gRPC listening");
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
