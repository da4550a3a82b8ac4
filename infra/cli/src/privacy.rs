//! `campaigns privacy`: erasing a person's number, and the tenant's retention.

use clap::Subcommand;
use serde_json::{Value, json};

use crate::ApiClient;

#[derive(Subcommand)]
pub enum PrivacyCommand {
    /// Erases a number (any format with a country code, or a US national number): on the DNC
    /// list at once, then its leads, reports, exports and uploads deleted; prints what was
    /// erased once the erasure ends.
    Erase {
        number: String,
        /// Print the accepted erasure without waiting for it to end.
        #[arg(long)]
        no_wait: bool,
    },
    /// An erasure: where it is and what it erased.
    Get { id: String },
    /// Prints the retention, or sets it: how many days after a campaign ends its leads are
    /// kept (every ended campaign's leads then get the expiry it asks for).
    Retention {
        /// Keep an ended campaign's leads this many days (1-3650).
        #[arg(long, conflicts_with = "keep")]
        days: Option<u16>,
        /// Keep them until erased.
        #[arg(long)]
        keep: bool,
    },
}

/// How long `privacy erase` waits for the erasure to end before printing it as it is.
const ERASURE_WAIT: std::time::Duration = std::time::Duration::from_secs(300);

/// A privacy command's answer.
pub async fn run(api: &ApiClient, command: PrivacyCommand) -> anyhow::Result<Value> {
    let (id, wait) = match command {
        PrivacyCommand::Retention { days, keep } => {
            return Ok(match (days, keep) {
                (None, false) => api.get("/v1/privacy/retention").await?,
                (days, _) => {
                    let body = json!({ "days": days });
                    api.put("/v1/privacy/retention", &body).await?
                }
            });
        }
        PrivacyCommand::Get { id } => (id, false),
        PrivacyCommand::Erase { number, no_wait } => {
            let accepted = api
                .post("/v1/privacy/erase", &json!({ "number": number }))
                .await?;
            if no_wait {
                return Ok(accepted);
            }
            let id = accepted["id"].as_str().unwrap_or_default().to_owned();
            (id, true)
        }
    };
    let path = format!("/v1/privacy/erasures/{id}");
    let deadline = std::time::Instant::now() + ERASURE_WAIT;
    loop {
        let erasure = api.get(&path).await?;
        let running = erasure["status"] == "running";
        if !wait || !running || std::time::Instant::now() > deadline {
            return Ok(erasure);
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
}
