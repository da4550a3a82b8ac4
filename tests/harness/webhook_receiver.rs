//! A tenant's webhook receiver on this machine, badly behaved on purpose: it records every
//! request it gets, answers every `fail_every`-th with 500, and stalls every `stall_every`-th
//! past the sender's timeout before answering 200 — so that delivery is tried again and the
//! receiver gets (and answers) the same event twice.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// How the receiver misbehaves.
#[derive(Debug, Clone, Copy)]
pub struct Behaviour {
    /// Every n-th request answers 500 (0: never).
    pub fail_every: usize,
    /// Every n-th request (not failed) answers only after `stall` (0: never).
    pub stall_every: usize,
    pub stall: Duration,
}

#[derive(Clone)]
struct Shared {
    behaviour: Behaviour,
    received: Arc<Mutex<Vec<Received>>>,
}

/// A running receiver.
pub struct Receiver {
    /// `http://127.0.0.1:{port}/hook`.
    pub url: String,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Starts one on a free port.
    pub async fn start(behaviour: Behaviour) -> Self {
        let received = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            behaviour,
            received: received.clone(),
        };
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self {
            url,
            received,
            task,
        }
    }

    /// Every request so far, in arrival order.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let n = {
        let mut received = shared.received.lock().unwrap();
        received.push(Received {
            headers: headers
                .iter()
                .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
                .collect(),
            body: body.to_vec(),
        });
        received.len()
    };
    let b = shared.behaviour;
    if b.fail_every > 0 && n % b.fail_every == 0 {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    if b.stall_every > 0 && n % b.stall_every == 0 {
        tokio::time::sleep(b.stall).await;
    }
    StatusCode::OK
}

/// A server that accepts every connection and never answers; counts the connections.
pub async fn black_hole() -> (String, Arc<AtomicU64>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let accepted = Arc::new(AtomicU64::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            held.push(socket);
        }
    });
    (url, accepted)
}
