//! Operational metrics in CloudWatch Embedded Metric Format: one JSON line per data point on
//! stdout, which Lambda's log pipeline turns into metrics (no API call, no latency). The sink is
//! process-wide: each function's `main.rs` installs [`StdoutEmf`] with its service name; nothing
//! installed means metrics go nowhere (tests install a [`RecordingSink`] to look at them).
//!
//! Metrics (namespace `OutboundCampaigns`, dimension `Service`, some also `Outcome` or `Kind`):
//! `CallsPlaced`, `CallOutcomes` (by `Outcome`), `ProviderErrors` (also by `Kind`),
//! `ImportRowsImported`, `ImportRowsRejected`, `TickLagSeconds` (how late the oldest due
//! lead was when its tick read it), `LeadsEnqueued`, `ImportsGivenUp` and `ResultsJobsGivenUp`
//! (jobs whose messages reached a dead-letter queue; alarmed).

use ::ports::metrics::{Metric, MetricsSink};

use serde_json::{Map, Value, json};

/// The CloudWatch namespace.
pub const NAMESPACE: &str = "OutboundCampaigns";

/// The EMF document of one data point. A metric with more dimensions than `Service` is
/// declared twice: per `Service` alone (what alarms on a function's total watch) and with all
/// of its dimensions (what a breakdown or a narrower alarm, such as refused credentials, reads).
pub fn emf_line(service: &str, metric: &Metric, timestamp_ms: i64) -> String {
    let mut full = vec!["Service".to_owned()];
    full.extend(metric.dimensions.iter().map(|(k, _)| (*k).to_owned()));
    let dimensions = if full.len() > 1 {
        json!([["Service"], full])
    } else {
        json!([full])
    };
    let mut doc = Map::new();
    doc.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": dimensions,
                "Metrics": [{ "Name": metric.name, "Unit": metric.unit.as_str() }],
            }],
        }),
    );
    doc.insert("Service".into(), Value::from(service));
    for (name, value) in &metric.dimensions {
        doc.insert((*name).into(), Value::from(value.as_str()));
    }
    doc.insert(metric.name.into(), json!(metric.value));
    Value::Object(doc).to_string()
}

/// Writes EMF lines to stdout (Lambda's log stream).
#[derive(Debug, Clone)]
pub struct StdoutEmf {
    /// The `Service` dimension.
    pub service: &'static str,
}

impl MetricsSink for StdoutEmf {
    fn put(&self, metric: Metric) {
        let line = emf_line(self.service, &metric, chrono::Utc::now().timestamp_millis());
        println!("{line}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emf_line_declares_its_metric_and_carries_its_dimensions() {
        let metric = Metric::count("CallOutcomes", 1.0).with("Outcome", "busy");
        let line: Value =
            serde_json::from_str(&emf_line("call-events", &metric, 1_700_000_000_000)).unwrap();
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(line["_aws"]["Timestamp"], 1_700_000_000_000i64);
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(
            directive["Dimensions"],
            json!([["Service"], ["Service", "Outcome"]]),
            "alarms on the service's total and on one outcome both find it"
        );
        assert_eq!(
            directive["Metrics"],
            json!([{"Name": "CallOutcomes", "Unit": "Count"}])
        );
        assert_eq!(line["Service"], "call-events");
        assert_eq!(line["Outcome"], "busy");
        assert_eq!(line["CallOutcomes"], 1.0);
    }

    #[test]
    fn seconds_are_declared_as_seconds() {
        let line: Value = serde_json::from_str(&emf_line(
            "tick",
            &Metric::seconds("TickLagSeconds", 12.5),
            0,
        ))
        .unwrap();
        assert_eq!(
            line["_aws"]["CloudWatchMetrics"][0]["Metrics"][0]["Unit"],
            "Seconds"
        );
        assert_eq!(line["TickLagSeconds"], 12.5);
    }
}
