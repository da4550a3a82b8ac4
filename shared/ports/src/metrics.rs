//! The metrics port: handlers `put` a [`Metric`]; the process-wide sink a function's `main.rs`
//! installs decides where it goes (CloudWatch EMF lines on stdout in Lambda, see the adapters'
//! `emf` module; a [`RecordingSink`] in tests; nowhere when none is installed).

use std::sync::{Mutex, OnceLock};

/// A unit CloudWatch knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Count,
    Seconds,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Count => "Count",
            Self::Seconds => "Seconds",
        }
    }
}

/// One data point.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Metric name.
    pub name: &'static str,
    pub unit: Unit,
    pub value: f64,
    /// Dimensions besides `Service`.
    pub dimensions: Vec<(&'static str, String)>,
}

impl Metric {
    pub fn count(name: &'static str, value: f64) -> Self {
        Self {
            name,
            unit: Unit::Count,
            value,
            dimensions: Vec::new(),
        }
    }

    /// A duration in seconds.
    pub fn seconds(name: &'static str, value: f64) -> Self {
        Self {
            name,
            unit: Unit::Seconds,
            value,
            dimensions: Vec::new(),
        }
    }

    /// With a dimension.
    pub fn with(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.dimensions.push((name, value.into()));
        self
    }
}

/// Where metrics go.
pub trait MetricsSink: Send + Sync {
    /// Records a data point.
    fn put(&self, metric: Metric);
}

static SINK: OnceLock<Box<dyn MetricsSink>> = OnceLock::new();

/// Installs the process's sink (the first install wins).
pub fn install(sink: impl MetricsSink + 'static) {
    let _ = SINK.set(Box::new(sink));
}

/// Records a data point in the installed sink, if any.
pub fn put(metric: Metric) {
    if let Some(sink) = SINK.get() {
        sink.put(metric);
    }
}

/// Keeps every data point (tests).
#[derive(Debug, Default)]
pub struct RecordingSink(pub Mutex<Vec<Metric>>);

impl MetricsSink for std::sync::Arc<RecordingSink> {
    fn put(&self, metric: Metric) {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(metric);
    }
}

impl RecordingSink {
    /// The sum of a metric's values (optionally only with a dimension value).
    pub fn sum(&self, name: &str, dimension: Option<(&str, &str)>) -> f64 {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|m| m.name == name)
            .filter(|m| {
                dimension
                    .is_none_or(|(k, v)| m.dimensions.iter().any(|(mk, mv)| *mk == k && mv == v))
            })
            .map(|m| m.value)
            .sum()
    }
}
