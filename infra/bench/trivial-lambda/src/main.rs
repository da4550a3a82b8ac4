//! The smallest useful `lambda_runtime` function: it answers every event with `{}`.
//!
//! `./infra/bench.sh cold-start` starts it beside the real functions, built with the same
//! release profile, so a function's init is compared with what the runtime itself costs.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|_: LambdaEvent<Value>| async {
        Ok::<_, lambda_runtime::Error>(serde_json::json!({}))
    }))
    .await
}
