//! One tenant's flood of API requests: `GET /v1/campaigns` with its key from a few tasks, as
//! fast as they are answered or paced, counting what was sent and what was answered 429.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

/// A running flood.
pub struct Flood {
    sent: Arc<AtomicU64>,
    limited: Arc<AtomicU64>,
    flooding: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Flood {
    /// Starts `tasks` tasks sending with `key` to `base_url`, each at most one request every
    /// `gap` (zero: as fast as it is answered).
    pub fn start(base_url: &str, key: &str, tasks: usize, gap: Duration) -> Self {
        let (sent, limited) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let flooding = Arc::new(AtomicBool::new(true));
        let tasks = (0..tasks)
            .map(|_| {
                let (http, url, key) = (
                    reqwest::Client::new(),
                    format!("{base_url}/v1/campaigns"),
                    key.to_owned(),
                );
                let (sent, limited, flooding) = (sent.clone(), limited.clone(), flooding.clone());
                tokio::spawn(async move {
                    while flooding.load(Ordering::Relaxed) {
                        let next = tokio::time::Instant::now() + gap;
                        let response = http.get(&url).bearer_auth(&key).send().await;
                        sent.fetch_add(1, Ordering::Relaxed);
                        if response.is_ok_and(|r| r.status() == 429) {
                            limited.fetch_add(1, Ordering::Relaxed);
                        }
                        tokio::time::sleep_until(next).await;
                    }
                })
            })
            .collect();
        Self {
            sent,
            limited,
            flooding,
            tasks,
        }
    }

    /// Stops the flood; the requests sent and those answered 429.
    pub async fn stop(self) -> (u64, u64) {
        self.flooding.store(false, Ordering::Relaxed);
        for task in self.tasks {
            let _ = task.await;
        }
        (
            self.sent.load(Ordering::Relaxed),
            self.limited.load(Ordering::Relaxed),
        )
    }
}
