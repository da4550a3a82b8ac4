//! Every log line the whole system writes during a run, captured (debug level, JSON, as in
//! Lambda) so a test can look for what must never be in them.

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;

/// The lines logged since [`capture`].
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// The project's crates, logged down to debug; libraries (the AWS SDK, hyper) at info, as in
/// Lambda.
const OURS: &str = "info,adapters=debug,engine=debug,api=debug,importer=debug,dialer=debug,\
tick=debug,call_events=debug,results=debug,bootstrap=debug,local_runner=debug,domain=debug,\
ports=debug";

/// Captures this process's logs from now on, with spans' fields (nextest runs each test in
/// its own process, so only this test's system is in them).
pub fn capture() -> Captured {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_env_filter(tracing_subscriber::EnvFilter::new(OURS))
        .with_current_span(true)
        .with_span_list(true)
        .with_writer(captured.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
    captured
}

/// The 10-digit national numbers written in `line`: within each run of digits and the
/// separators numbers are written with (`+`, spaces, parentheses, dashes, dots), every window
/// of ten digits. A timestamp's run (`2026-06-08`) has too few digits to count.
pub fn national_windows(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let is_part = |c: char| c.is_ascii_digit() || "+ ()-.".contains(c);
    for run in line.split(|c: char| !is_part(c)) {
        let digits: Vec<u8> = run.bytes().filter(u8::is_ascii_digit).collect();
        for window in digits.windows(10) {
            out.push(String::from_utf8_lossy(window).into_owned());
        }
    }
    out
}

#[test]
fn national_windows_find_a_number_in_any_written_form_and_not_in_timestamps() {
    for line in [
        r#"{"msg":"x","to":"+12125550100"}"#,
        "calling (212) 555-0100 now",
        "url?To=%2B12125550100",
    ] {
        assert!(
            national_windows(line).contains(&"2125550100".to_owned()),
            "{line}"
        );
    }
    assert!(national_windows(r#"{"timestamp":"2026-06-08T12:30:00.123Z"}"#).is_empty());
}

/// What one lead's log lines say: `(span, attempt, message)` for every line logged inside a
/// span naming `lead` (the innermost such span's name and attempt).
pub fn follow_lead(lines: &[String], lead: &str) -> Vec<(String, Option<u64>, String)> {
    lines
        .iter()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter_map(|line| {
            let spans = line["spans"].as_array()?;
            let span = spans.iter().rev().find(|s| s["lead"] == lead)?;
            let attempt = span["attempt"]
                .as_u64()
                .or_else(|| span["attempt"].as_str().and_then(|a| a.parse().ok()));
            Some((
                span["name"].as_str()?.to_owned(),
                attempt,
                line["fields"]["message"].as_str().unwrap_or("").to_owned(),
            ))
        })
        .collect()
}
