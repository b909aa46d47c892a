//! A webhook receiver for tests: an HTTP server on 127.0.0.1 that records every request and
//! answers as its script says.

use std::{
    collections::HashSet,
    sync::{Arc, Mutex},
    time::Duration,
};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

/// One request a receiver got, and what it answered.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    pub timestamp: String,
    pub signature: String,
    pub body: String,
    pub status: u16,
}

/// How a receiver answers its `n`-th request (from 0): a status, after a pause, with a
/// `Location` for redirects.
pub type Script = Arc<dyn Fn(usize) -> (u16, Duration, Option<String>) + Send + Sync>;

/// An HTTP server on 127.0.0.1 that records every request.
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Received>>>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

impl Receiver {
    pub fn start(script: Script) -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let url = format!("http://{}/hook", listener.local_addr().expect("address"));
        let recorded = got.clone();
        let server = HttpServer::new(move || {
            let (got, script) = (recorded.clone(), script.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
                let (got, script) = (got.clone(), script.clone());
                async move {
                    let header = |name: &str| {
                        req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
                    };
                    let n = got.lock().expect("lock").len();
                    let (status, pause, location) = script(n);
                    let received = Received {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body: String::from_utf8_lossy(&body).into_owned(),
                        status,
                    };
                    got.lock().expect("lock").push(received);
                    tokio::time::sleep(pause).await;
                    let mut response =
                        HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("a status"));
                    if let Some(location) = location {
                        response.insert_header(("location", location));
                    }
                    response.body("receiver says no")
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .shutdown_timeout(1)
        .listen(listener)
        .expect("listens")
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        Receiver { url, got, handle }
    }

    /// Answers 200 at once.
    pub fn ok() -> Receiver {
        Receiver::start(Arc::new(|_| (200, Duration::ZERO, None)))
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }

    /// The requests it acknowledged (2xx), each message once, in the order they came.
    pub fn acknowledged(&self) -> Vec<Received> {
        let mut seen = HashSet::new();
        self.received().into_iter().filter(|r| (200..300).contains(&r.status) && seen.insert(r.id.clone())).collect()
    }

    /// Waits until it has acknowledged `n` messages (at most `wait`).
    pub async fn wait_for(&self, n: usize, wait: Duration) -> Vec<Received> {
        crate::until(wait, || async {
            let got = self.acknowledged();
            if got.len() >= n {
                Ok(got)
            } else {
                Err(format!("{} of {n} messages acknowledged: {:#?}", got.len(), self.received()))
            }
        })
        .await
    }
}
