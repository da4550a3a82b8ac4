//! Cold start: every function's release binary, started against a local fake of the Lambda
//! Runtime API, beside a trivial `lambda_runtime` binary built with the same profile.
//!
//!   ./infra/bench.sh cold-start        (builds the release binaries first; RUNS=20 by default)
//!
//! Each run starts a fresh fake Runtime API on a loopback port (`/runtime/invocation/next`, the
//! response and error routes), then the process with its function's environment: resources
//! provisioned in the emulator from `template.yaml` and the secrets the template generates, so
//! init makes the same requests it makes in AWS (Secrets Manager reads), against the emulator.
//! Two instants are taken from the spawn: the first `next` request (init done) and the answer
//! to a first event that needs no state (an empty queue batch, a request for the OpenAPI
//! document, a tick of a campaign that does not exist). The first run of each binary is not
//! counted (it brings the file into the page cache, which Lambda keeps for its own).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};

/// The binaries measured, each with the first event it is given.
fn functions() -> Vec<(&'static str, Value)> {
    let queue_batch = json!({ "Records": [] });
    vec![
        ("trivial-lambda", json!({})),
        ("api", http_event("/v1/openapi.json")),
        ("call-events", http_event("/healthz")),
        ("dialer", queue_batch.clone()),
        ("importer", queue_batch.clone()),
        ("results", queue_batch.clone()),
        ("tick", json!({ "tenant": "bench", "campaign": "bench" })),
        ("webhooks", queue_batch),
    ]
}

/// An API Gateway HTTP API (payload 2.0) GET request.
fn http_event(path: &str) -> Value {
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": { "host": "bench.example" }, "isBase64Encoded": false,
        "requestContext": {
            "accountId": "123456789012", "apiId": "bench", "domainName": "bench.example",
            "domainPrefix": "bench", "requestId": "bench", "routeKey": "$default",
            "stage": "$default", "time": "05/Dec/2026:00:00:00 +0000", "timeEpoch": 0,
            "http": { "method": "GET", "path": path, "protocol": "HTTP/1.1",
                      "sourceIp": "127.0.0.1", "userAgent": "cold-start" }
        }
    })
}

/// What the fake Runtime API saw of one process.
#[derive(Default)]
struct Probe {
    next: Option<Instant>,
    answered: Option<Instant>,
    error: Option<String>,
}

#[derive(Clone)]
struct Fake {
    probe: Arc<Mutex<Probe>>,
    event: Arc<Vec<u8>>,
}

async fn next(State(fake): State<Fake>) -> (HeaderMap, Vec<u8>) {
    let first = {
        let mut probe = fake.probe.lock().expect("probe");
        let first = probe.next.is_none();
        probe.next.get_or_insert_with(Instant::now);
        first
    };
    if !first {
        // One event per process: the next poll waits until the process is stopped.
        std::future::pending::<()>().await;
    }
    let mut headers = HeaderMap::new();
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        + Duration::from_secs(30);
    let pairs = [
        ("lambda-runtime-aws-request-id", "bench-1".to_owned()),
        (
            "lambda-runtime-deadline-ms",
            deadline.as_millis().to_string(),
        ),
        (
            "lambda-runtime-invoked-function-arn",
            "arn:aws:lambda:us-east-1:123456789012:function:bench".to_owned(),
        ),
        (
            "lambda-runtime-trace-id",
            "Root=1-00000000-000000000000000000000000".to_owned(),
        ),
    ];
    for (name, value) in pairs {
        headers.insert(name, value.parse().expect("header value"));
    }
    (headers, fake.event.as_ref().clone())
}

async fn answered(State(fake): State<Fake>) -> StatusCode {
    fake.probe
        .lock()
        .expect("probe")
        .answered
        .get_or_insert_with(Instant::now);
    StatusCode::ACCEPTED
}

async fn failed(State(fake): State<Fake>, body: String) -> StatusCode {
    let mut probe = fake.probe.lock().expect("probe");
    probe.answered.get_or_insert_with(Instant::now);
    probe.error = Some(body);
    StatusCode::ACCEPTED
}

/// One start of `binary`: (start → first `next`, start → first answer).
async fn one_start(
    binary: &Path,
    env: &[(String, String)],
    event: &Value,
    log: &Path,
) -> anyhow::Result<(Duration, Duration)> {
    let fake = Fake {
        probe: Arc::default(),
        event: Arc::new(serde_json::to_vec(event)?),
    };
    let app = axum::Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route(
            "/2018-06-01/runtime/invocation/{id}/response",
            post(answered),
        )
        .route("/2018-06-01/runtime/invocation/{id}/error", post(failed))
        .route("/2018-06-01/runtime/init/error", post(failed))
        .with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let started = Instant::now();
    let mut child = Command::new(binary)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .env("AWS_LAMBDA_RUNTIME_API", format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(log_file)
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let outcome = loop {
        let seen = {
            let probe = fake.probe.lock().expect("probe");
            (probe.next, probe.answered, probe.error.clone())
        };
        match seen {
            (Some(next), Some(answer), None) => break Ok((next - started, answer - started)),
            (_, _, Some(error)) => break Err(anyhow::anyhow!("answered with an error: {error}")),
            _ if started.elapsed() > Duration::from_secs(20) => {
                break Err(anyhow::anyhow!("no answer within 20 s"));
            }
            _ => tokio::time::sleep(Duration::from_micros(200)).await,
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    server.abort();
    outcome.with_context(|| format!("{} (its log: {})", binary.display(), log.display()))
}

/// The environment every function reads in AWS, pointed at resources in the emulator.
async fn function_env(prefix: &str) -> anyhow::Result<Vec<(String, String)>> {
    let endpoint = emulator::endpoint_from_env()?;
    let sdk = emulator::sdk_config(&endpoint).await;
    let specs = emulator::ResourceSpecs::from_file(&emulator::template_path())?;
    let made = emulator::provision(&sdk, &specs, prefix).await?;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let secret = async |name: &str, value: &str| -> anyhow::Result<String> {
        let out = secrets
            .create_secret()
            .name(format!("{prefix}-{name}"))
            .secret_string(value)
            .send()
            .await?;
        out.arn.context("create_secret returned no ARN")
    };
    let mut env = made.env();
    for (var, logical) in [
        ("RESULTS_QUEUE_URL", "ResultsQueue"),
        ("WEBHOOK_QUEUE_URL", "WebhookQueue"),
    ] {
        env.push((var.into(), made.name(logical)?.into()));
    }
    let fixed = [
        (
            "TICK_FUNCTION_ARN",
            "arn:aws:lambda:us-east-1:123456789012:function:tick",
        ),
        (
            "SCHEDULER_ROLE_ARN",
            "arn:aws:iam::123456789012:role/scheduler",
        ),
        ("PROVIDER_BASE_URL", "https://bench.example"),
        ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256"),
        ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
        ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
        ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
        ("RUST_LOG", "info"),
    ];
    env.extend(fixed.iter().map(|(k, v)| ((*k).into(), (*v).into())));
    let key = "cold-start-benchmark-key-0123456789abcdef";
    env.push(("LEAD_ID_SECRET_ARN".into(), secret("lead-ids", key).await?));
    env.push((
        "CALL_TOKEN_SECRET_ARN".into(),
        secret("call-tokens", key).await?,
    ));
    env.push((
        "PROVIDER_SECRET_ARN".into(),
        secret("providers", "{}").await?,
    ));
    Ok(env)
}

/// The deployment package's size: the binary zipped as `bootstrap` (deflate, level 9).
fn zipped_size(binary: &Path, out: &Path) -> anyhow::Result<u64> {
    let status = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\n\
             with zipfile.ZipFile(sys.argv[2], 'w', zipfile.ZIP_DEFLATED, compresslevel=9) as z:\n\
             \x20   z.write(sys.argv[1], 'bootstrap')",
        ])
        .arg(binary)
        .arg(out)
        .status()?;
    anyhow::ensure!(status.success(), "zipping {}", binary.display());
    Ok(std::fs::metadata(out)?.len())
}

fn quantile(samples: &mut [Duration], q: f64) -> f64 {
    samples.sort();
    let i = ((samples.len() as f64 - 1.0) * q).round() as usize;
    samples[i].as_secs_f64() * 1000.0
}

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let runs: usize = std::env::var("RUNS").map_or(Ok(20), |v| v.parse())?;
    let bin_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release");
    let work = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/cold-start");
    std::fs::create_dir_all(&work)?;
    let env = function_env(&emulator::unique_prefix("cold-start")).await?;
    let functions = functions();
    let mut samples = vec![(Vec::new(), Vec::new()); functions.len()];
    for run in 0..=runs {
        for (i, (name, event)) in functions.iter().enumerate() {
            let mut env = env.clone();
            env.push(("AWS_LAMBDA_FUNCTION_NAME".into(), (*name).into()));
            let log = work.join(format!("{name}.log"));
            let (init, answer) = one_start(&bin_dir.join(name), &env, event, &log).await?;
            if run > 0 {
                samples[i].0.push(init);
                samples[i].1.push(answer);
            }
        }
    }
    println!(
        "\n## Cold start: release binaries against a fake Lambda Runtime API ({runs} runs each)\n"
    );
    println!(
        "| function | binary | zipped | start → first `next` p50 / p95 | start → first answer p50 / p95 | init vs trivial (p50) |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let mut trivial = None;
    for ((name, _), (inits, answers)) in functions.iter().zip(samples.iter_mut()) {
        let binary = bin_dir.join(name);
        let size = std::fs::metadata(&binary)?.len();
        let zipped = zipped_size(&binary, &work.join(format!("{name}.zip")))?;
        let (init50, init95) = (quantile(inits, 0.5), quantile(inits, 0.95));
        let (ans50, ans95) = (quantile(answers, 0.5), quantile(answers, 0.95));
        let base = *trivial.get_or_insert(init50);
        println!(
            "| {name} | {} | {} | {init50:.1} / {init95:.1} ms | {ans50:.1} / {ans95:.1} ms | {:.2}× |",
            mb(size),
            mb(zipped),
            init50 / base
        );
    }
    Ok(())
}
