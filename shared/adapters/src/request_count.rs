//! Counting AWS requests: an SDK interceptor that counts every request sent (retries
//! included) by service and operation. The benchmarks use it to report requests per dial
//! attempt and per tick; production code does not install it.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// Requests per (service, operation).
#[derive(Debug, Clone, Default)]
pub struct RequestCounter(Arc<Mutex<BTreeMap<(String, String), u64>>>);

/// DynamoDB operations that write.
pub const DYNAMODB_WRITES: &[&str] = &[
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "TransactWriteItems",
    "BatchWriteItem",
];
/// DynamoDB operations that read.
pub const DYNAMODB_READS: &[&str] = &[
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "TransactGetItems",
];

impl RequestCounter {
    /// A snapshot of the counts.
    pub fn snapshot(&self) -> BTreeMap<(String, String), u64> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Forgets every count.
    pub fn reset(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }

    /// Requests to `service` whose operation is in `operations`.
    pub fn count(&self, service: &str, operations: &[&str]) -> u64 {
        self.snapshot()
            .iter()
            .filter(|((s, op), _)| {
                s.eq_ignore_ascii_case(service) && operations.contains(&op.as_str())
            })
            .map(|(_, n)| n)
            .sum()
    }

    /// DynamoDB write requests.
    pub fn dynamodb_writes(&self) -> u64 {
        self.count("dynamodb", DYNAMODB_WRITES)
    }

    /// DynamoDB read requests.
    pub fn dynamodb_reads(&self) -> u64 {
        self.count("dynamodb", DYNAMODB_READS)
    }
}

impl Intercept for RequestCounter {
    fn name(&self) -> &'static str {
        "RequestCounter"
    }

    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let key = (metadata.service().to_owned(), metadata.name().to_owned());
            *self
                .0
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(key)
                .or_default() += 1;
        }
        Ok(())
    }
}
