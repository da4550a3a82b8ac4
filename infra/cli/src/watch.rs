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
    let mut screen = Screen::new(MultiProgress::new(), std::io::stdout().is_terminal());
    loop {
        let p = client
            .get(&format!("/v1/campaigns/{campaign}/progress"))
            .await?;
        screen.show(&p);
        let in_flight = p["in_flight"].as_i64().unwrap_or(0);
        if matches!(p["status"].as_str(), Some("completed" | "cancelled")) && in_flight <= 0 {
            screen.finish();
            return Ok(p);
        }
        tokio::time::sleep(every).await;
    }
}

/// What `watch` draws: two bars (finished, reached) and two lines (status, outcomes) on a
/// terminal, or one plain line whenever a count moved elsewhere (CI, a pipe).
struct Screen {
    finished: ProgressBar,
    completed: ProgressBar,
    status: ProgressBar,
    outcomes: ProgressBar,
    interactive: bool,
    last_plain: String,
    _bars: MultiProgress,
}

impl Screen {
    /// Bars drawn by `bars` (stderr, or a test's in-memory terminal); `interactive`: a person's
    /// terminal, else the plain lines are printed too.
    fn new(bars: MultiProgress, interactive: bool) -> Self {
        let style = ProgressStyle::with_template(
            "{prefix:>10} [{bar:40.green/white}] {pos:>5}/{len:5} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("█▓░");
        let line = |text: &str| {
            let bar = ProgressBar::new_spinner();
            bar.set_message(text.to_owned());
            bar
        };
        Self {
            finished: bars.add(
                ProgressBar::new(0)
                    .with_style(style.clone())
                    .with_prefix("finished"),
            ),
            completed: bars.add(ProgressBar::new(0).with_style(style).with_prefix("reached")),
            status: bars.add(line("")),
            outcomes: bars.add(line("")),
            interactive,
            last_plain: String::new(),
            _bars: bars,
        }
    }

    /// Shows one progress answer.
    fn show(&mut self, p: &Value) {
        let n = |k: &str| p[k].as_i64().unwrap_or(0).max(0) as u64;
        for bar in [&self.finished, &self.completed] {
            bar.set_length(n("total"));
        }
        self.finished.set_position(n("finished"));
        self.completed.set_position(n("completed"));
        let by = &p["by_status"];
        self.finished.set_message(format!(
            "failed {} · skipped {}",
            by["failed"].as_i64().unwrap_or(0),
            by["skipped"].as_i64().unwrap_or(0)
        ));
        self.status.set_message(format!(
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
        self.outcomes
            .set_message(format!("outcomes: {}", outcome_text.join(" · ")));
        self.status.tick();
        if !self.interactive {
            self.print_plain(n("in_flight"));
        }
    }

    /// Not a terminal: one plain line whenever a count moved.
    fn print_plain(&mut self, in_flight: u64) {
        let counts = format!(
            "{} {} {}",
            self.finished.position(),
            in_flight,
            self.outcomes.message()
        );
        if counts != self.last_plain {
            println!(
                "{}/{} finished · {} · {}",
                self.finished.position(),
                self.finished.length().unwrap_or(0),
                self.status.message(),
                self.outcomes.message()
            );
            self.last_plain = counts;
        }
    }

    fn finish(&self) {
        for bar in [
            &self.finished,
            &self.completed,
            &self.status,
            &self.outcomes,
        ] {
            bar.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use indicatif::{InMemoryTerm, MultiProgress, ProgressDrawTarget};
    use serde_json::json;

    use super::Screen;

    fn progress(finished: u64, status: &str) -> serde_json::Value {
        json!({"status": status, "total": 10, "finished": finished, "completed": finished / 2,
               "in_flight": 1, "remaining": 10 - finished, "calls_placed": finished,
               "by_status": {"failed": 0, "skipped": 0}, "outcomes": {"completed": finished}})
    }

    #[test]
    fn each_refresh_redraws_the_bars_in_place_rather_than_adding_lines() {
        let term = InMemoryTerm::new(12, 140);
        let target = ProgressDrawTarget::term_like_with_hz(Box::new(term.clone()), 255);
        let mut screen = Screen::new(MultiProgress::with_draw_target(target), true);
        for finished in [2, 5, 7] {
            screen.show(&progress(finished, "active"));
            std::thread::sleep(std::time::Duration::from_millis(20));
            screen.finished.tick();
        }
        let shown = term.contents();
        assert_eq!(
            shown.matches("finished [").count(),
            1,
            "one bar, redrawn:\n{shown}"
        );
        assert_eq!(shown.matches("outcomes:").count(), 1, "{shown}");
        assert!(shown.contains("7/10"), "the latest figures:\n{shown}");
        assert!(
            !shown.contains("2/10"),
            "the first refresh was drawn over:\n{shown}"
        );
    }
}
