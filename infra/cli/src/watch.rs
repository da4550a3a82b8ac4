//! Live progress in the terminal: bars and status lines redrawn as the campaign runs.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use serde_json::Value;

use crate::{ApiClient, ClientError};

/// Redraws the campaign's progress every `every` until it is completed or cancelled; returns
/// the last progress document.
pub async fn watch(
    client: &ApiClient,
    campaign: &str,
    every: Duration,
) -> Result<Value, ClientError> {
    let bars = MultiProgress::new();
    let style =
        ProgressStyle::with_template("{prefix:>10} [{bar:40.green/white}] {pos:>5}/{len:5} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("█▓░");
    let finished = bars.add(
        ProgressBar::new(0)
            .with_style(style.clone())
            .with_prefix("finished"),
    );
    let completed = bars.add(ProgressBar::new(0).with_style(style).with_prefix("reached"));
    let line = |text: &str| {
        let bar = ProgressBar::new_spinner();
        bar.set_message(text.to_owned());
        bar
    };
    let status = bars.add(line(""));
    let outcomes = bars.add(line(""));
    let interactive = std::io::stdout().is_terminal();
    let mut last_plain = String::new();
    loop {
        let p = client
            .get(&format!("/v1/campaigns/{campaign}/progress"))
            .await?;
        let n = |k: &str| p[k].as_i64().unwrap_or(0).max(0) as u64;
        for bar in [&finished, &completed] {
            bar.set_length(n("total"));
        }
        finished.set_position(n("finished"));
        completed.set_position(n("completed"));
        let by = &p["by_status"];
        finished.set_message(format!(
            "failed {} · skipped {}",
            by["failed"].as_i64().unwrap_or(0),
            by["skipped"].as_i64().unwrap_or(0)
        ));
        status.set_message(format!(
            "{} · {} · on a call {} · to call {} · calls placed {} · avg {:.0}s",
            p["status"].as_str().unwrap_or("?"),
            p["as_of"]
                .as_str()
                .map(|t| t.get(..16).unwrap_or(t).replace('T', " "))
                .unwrap_or_default(),
            n("in_flight"),
            n("remaining"),
            n("calls_placed"),
            p["average_call_seconds"].as_f64().unwrap_or(0.0),
        ));
        let outcome_text: Vec<String> = p["outcomes"]
            .as_object()
            .map(|o| {
                o.iter()
                    .map(|(k, v)| format!("{k} {}", v.as_i64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        outcomes.set_message(format!("outcomes: {}", outcome_text.join(" · ")));
        status.tick();
        if !interactive {
            // Not a terminal (CI, a pipe): one plain line whenever a count moved.
            let counts = format!(
                "{} {} {}",
                finished.position(),
                n("in_flight"),
                outcomes.message()
            );
            if counts != last_plain {
                println!(
                    "{}/{} finished · {} · {}",
                    finished.position(),
                    finished.length().unwrap_or(0),
                    status.message(),
                    outcomes.message()
                );
                last_plain = counts;
            }
        }
        if matches!(p["status"].as_str(), Some("completed" | "cancelled")) && n("in_flight") == 0 {
            finished.finish();
            completed.finish();
            status.finish();
            outcomes.finish();
            return Ok(p);
        }
        tokio::time::sleep(every).await;
    }
}
