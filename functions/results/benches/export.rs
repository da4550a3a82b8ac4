//! Export of a large campaign: time and peak memory of the results worker writing the CSV of
//! 100,000 leads (read a page from each lead shard at once, streamed to S3 by multipart upload), against
//! the local AWS emulator. Also the formatting rate alone (no I/O), which is what the worker
//! itself costs; against real DynamoDB the read side is far faster than against the emulator.
//!
//!   ./infra/bench.sh export                          (100,000 leads)
//!   BENCH_LEADS=20000 ./infra/bench.sh export
//!
//! Prints a Markdown table for BENCHMARKS.md.

use engine::results;
use ports::store::{Exports, Imports};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use adapters::blobs::S3Blobs;
use adapters::store::DynamoStore;
use chrono::{DateTime, Duration, Utc};
use domain::ids::{CampaignId, CampaignRef, ExportId, ImportId, LeadId, TenantId};
use domain::import::{Encoding, Sniffed};
use domain::lead::{AttemptRecord, Contact, ImportSource, Lead, LeadState};
use domain::phone::E164;
use domain::results::ExportLayout;
use domain::retry::Outcome;
use domain::status::LeadStatus;
use ports::store::{ImportFormat, ImportRecord, ImportStatus};

fn status_line(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak-RSS watermark (Linux `clear_refs` 5), so the export's own peak is measured.
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn lead(campaign: &CampaignRef, i: usize, t0: DateTime<Utc>) -> Lead {
    let npa = [212, 305, 312, 214, 303, 602, 415, 206][i % 8];
    let phone = E164::parse_strict(&format!("+1{npa}{:07}", 2_000_000 + i)).expect("valid number");
    let mut state = LeadState::new(t0);
    let attempt = |n: u8, minutes: i64, outcome: Outcome, seconds: u32| AttemptRecord {
        attempt: n,
        started_at: t0 + Duration::minutes(minutes),
        ended_at: t0 + Duration::minutes(minutes + 3),
        outcome,
        duration_seconds: seconds,
        provider_call_id: Some(format!("CA{i:08}{n}")),
        disposition: (outcome == Outcome::Completed).then(|| "interested".to_owned()),
        report: Default::default(),
        answered_by: None,
        fields_left_out: Vec::new(),
        transferred: false,
        clearance: None,
    };
    match i % 4 {
        0 => {
            state.status = LeadStatus::Completed;
            state.attempts = 2;
            state.next_call_at = None;
            state.log = vec![
                attempt(1, 0, Outcome::NoAnswer, 0),
                attempt(2, 45, Outcome::Completed, 120),
            ];
        }
        1 => {
            state.status = LeadStatus::Failed;
            state.attempts = 3;
            state.next_call_at = None;
            state.log = (1..=3)
                .map(|n| attempt(n, i64::from(n) * 30, Outcome::Busy, 0))
                .collect();
        }
        2 => {
            state.status = LeadStatus::Completed;
            state.attempts = 1;
            state.next_call_at = None;
            state.log = vec![attempt(1, 10, Outcome::Completed, 240)];
        }
        _ => {}
    }
    Lead {
        id: LeadId::derive(&campaign.campaign, &phone),
        contact: Contact {
            phone,
            name: Some(format!("Contact {i}")),
            email: Some(format!("contact{i}@example.com")),
            company: Some(format!("Company {}", i % 997)),
            timezone: None,
            state: None,
            consent: Some(true),
            consent_source: None,
            consent_at: None,
            consent_type: None,
            consent_reference: None,
            ebr_until: None,
            custom: custom_fields(i),
        },
        source: ImportSource {
            import_id: ImportId::parse("bench").expect("id"),
            line: i as u64 + 2,
        },
        state,
    }
}

/// The completed import the benchmark's leads came from (its header names the custom
/// fields the export lays out).
fn bench_import(
    campaign: &CampaignRef,
    n: usize,
    t0: DateTime<Utc>,
) -> anyhow::Result<ImportRecord> {
    Ok(ImportRecord {
        status: ImportStatus::Completed,
        rows_read: n as u64,
        imported: n as u64,
        format: Some(ImportFormat {
            sniffed: Sniffed {
                encoding: Encoding::Utf8,
                delimiter: b',',
            },
            header: [
                "phone",
                "name",
                "email",
                "company",
                "consent",
                "plan",
                "renewal_date",
                "notes",
            ]
            .map(str::to_owned)
            .to_vec(),
        }),
        next_line: 0,
        ..ImportRecord::awaiting_upload(
            ImportId::parse("bench")?,
            campaign.clone(),
            "imports/bench.csv".into(),
            t0,
        )
    })
}

/// Row formatting alone (what the worker's CPU does per row): rows per second, and the bytes
/// formatted.
fn format_rate(leads: &[Lead]) -> anyhow::Result<(f64, usize)> {
    let layout = ExportLayout::new(["plan", "renewal_date", "notes"].map(str::to_owned));
    let started = Instant::now();
    let mut bytes = 0usize;
    for lead in leads {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(layout.row(lead))?;
        bytes += w.into_inner().map(|v| v.len()).unwrap_or(0);
    }
    Ok((leads.len() as f64 / started.elapsed().as_secs_f64(), bytes))
}

/// Reads the exported object back and counts its rows.
async fn rows_in_object(blobs: &S3Blobs, key: &str) -> anyhow::Result<usize> {
    let object = blobs
        .client()
        .get_object()
        .bucket(blobs.bucket())
        .key(key)
        .send()
        .await?;
    let body = object.body.collect().await?.into_bytes();
    Ok(csv::Reader::from_reader(body.as_ref()).records().count())
}

/// The DynamoDB requests the export made, by operation.
fn print_requests(requests: &adapters::request_count::RequestCounter) {
    let by_operation: Vec<String> = (requests.snapshot().into_iter())
        .map(|((_, operation), n)| format!("{operation} {n}"))
        .collect();
    println!(
        "\nDynamoDB requests during the export: {} ({})",
        requests.count("dynamodb", adapters::request_count::DYNAMODB_READS)
            + requests.dynamodb_writes(),
        by_operation.join(", ")
    );
}

/// Writes `leads` into the emulator from eight tasks at once.
async fn seed(
    store: &Arc<DynamoStore>,
    campaign: &CampaignRef,
    leads: &[Lead],
) -> anyhow::Result<()> {
    eprintln!("seeding {} leads into the emulator...", leads.len());
    let seeding = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for part in leads.chunks(leads.len().div_ceil(8).max(1)) {
        let (store, campaign, part) = (store.clone(), campaign.clone(), part.to_vec());
        tasks.spawn(async move { store.seed_leads(&campaign, &part).await });
    }
    while let Some(result) = tasks.join_next().await {
        result??;
    }
    eprintln!("seeded in {:.0} s", seeding.elapsed().as_secs_f64());
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("BENCH_LEADS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let env = emulator::TestEnv::new("export-bench").await?;
    let requests = adapters::request_count::RequestCounter::default();
    let dynamodb = aws_sdk_dynamodb::config::Builder::from(&env.config)
        .interceptor(requests.clone())
        .build();
    let store = Arc::new(DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(dynamodb),
        env.table(),
    ));
    let blobs = S3Blobs::new(
        emulator::s3_client(&env.config),
        env.resources.name("DataBucket")?,
    );
    let campaign = CampaignRef {
        tenant: TenantId::parse("bench")?,
        campaign: CampaignId::parse("c1")?,
    };
    let t0: DateTime<Utc> = "2026-06-10T13:00:00Z".parse()?;
    store
        .put_import(&bench_import(&campaign, n, t0)?, None)
        .await?;

    let leads: Vec<Lead> = (0..n).map(|i| lead(&campaign, i, t0)).collect();
    let (format_rate, bytes) = format_rate(&leads)?;

    seed(&store, &campaign, &leads).await?;
    drop(leads);

    let export = ExportId::parse("bench-export")?;
    store
        .create_export(&results::new_export(
            &campaign,
            export.clone(),
            ports::store::ExportKind::Leads,
            t0,
        ))
        .await?;
    let rss_before = status_line("VmRSS:");
    reset_peak();
    requests.reset();
    let started = Instant::now();
    let record = results::run_export(store.as_ref(), &blobs, &campaign, &export, Utc::now).await?;
    let seconds = started.elapsed().as_secs_f64();
    let peak = status_line("VmHWM:");
    anyhow::ensure!(
        record.rows == n as u64,
        "exported {} rows of {n}",
        record.rows
    );
    let lines = rows_in_object(&blobs, &record.object_key).await?;
    anyhow::ensure!(lines == n, "the object has {lines} rows");

    println!("| what | leads | time | rate | peak RSS |");
    println!("|---|---|---|---|---|");
    println!(
        "| export (DynamoDB pages -> CSV -> S3 multipart), local emulator | {n} | {seconds:.1} s | {:.0} leads/s | {peak:.0} MB (RSS before {rss_before:.0} MB) |",
        n as f64 / seconds
    );
    println!(
        "| row formatting alone (no I/O) | {n} | {:.2} s | {format_rate:.0} rows/s | - |",
        n as f64 / format_rate
    );
    print_requests(&requests);
    println!(
        "\nexport object: {} bytes, {} parts of at most 8 MiB; formatted bytes {bytes}",
        record.bytes,
        record.bytes.div_ceil(8 * 1024 * 1024)
    );
    Ok(())
}

/// The custom fields of contact `i`: a plan, a date, and now and then a formula to neutralize.
fn custom_fields(i: usize) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "plan".to_owned(),
            ["basic", "gold", "platinum"][i % 3].to_owned(),
        ),
        (
            "renewal_date".to_owned(),
            format!("2026-{:02}-{:02}", i % 12 + 1, i % 28 + 1),
        ),
        (
            "notes".to_owned(),
            if i.is_multiple_of(50) {
                "=HYPERLINK(\"x\")".to_owned()
            } else {
                format!("note {i}")
            },
        ),
    ])
}
