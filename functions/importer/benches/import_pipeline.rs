//! Import throughput on a generated 1,000,000-row file, on one core, without network:
//! decode + parse + normalize + dedupe + lead and DynamoDB item building. Side by side in the
//! same run: the bare `csv` crate's parse rate (the ceiling) and the Python reference
//! (`csv` + `phonenumbers`, infra/bench/import_reference.py). Peak RSS of the pipeline is
//! measured in a child process. Also checks the phone fast path against the full parser on
//! every US area code and exchange.
//!
//!   cargo bench -p importer --bench import_pipeline            (1,000,000 rows)
//!   BENCH_ROWS=200000 cargo bench -p importer --bench import_pipeline
//!
//! Prints a Markdown table for BENCHMARKS.md.

use std::io::Write;

/// The same allocator as the importer's Lambda binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::path::{Path, PathBuf};
use std::time::Instant;

use domain::ids::{CampaignId, CampaignRef, ImportId, TenantId};
use domain::import::fast_phone::PhoneCache;
use domain::import::header::HeaderMap;
use domain::import::row::RowSettings;
use domain::import::{Limits, RecordReader, decode_field, sniff};
use domain::phone::{DefaultRegion, E164};
use importer::pipeline::{Row, RowSink};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};

const AREA_CODES: &[u32] = &[
    201, 202, 203, 205, 206, 207, 208, 209, 210, 212, 213, 214, 215, 216, 217, 218, 219, 224, 225,
    228, 229, 231, 234, 239, 240, 248, 251, 252, 253, 254, 256, 260, 262, 267, 269, 270, 276, 281,
    301, 302, 303, 304, 305, 307, 308, 309, 310, 312, 313, 314, 315, 316, 317, 318, 319, 320, 321,
    323, 325, 330, 331, 334, 336, 337, 339, 347, 351, 352, 360, 361, 385, 386, 401, 402, 404, 405,
    406, 407, 408, 409, 410, 412, 413, 414, 415, 417, 419, 423, 424, 425, 430, 432, 434, 435, 440,
    443, 469, 470, 475, 478, 479, 480, 484, 501, 502, 503, 504, 505, 507, 508, 509, 510, 512, 513,
    515, 516, 517, 518, 520, 530, 540, 541, 559, 561, 562, 563, 567, 570, 571, 573, 574, 575, 580,
    585, 586, 601, 602, 603, 605, 606, 607, 608, 609, 610, 612, 614, 615, 616, 617, 618, 619, 620,
    623, 626, 630, 631, 636, 641, 646, 650, 651, 660, 661, 662, 678, 682, 701, 702, 703, 704, 706,
    707, 708, 712, 713, 714, 715, 716, 717, 718, 719, 720, 724, 727, 731, 732, 734, 740, 754, 757,
    760, 763, 765, 770, 772, 773, 774, 775, 781, 785, 786, 801, 802, 803, 804, 805, 806, 808, 810,
    812, 813, 814, 815, 816, 817, 818, 828, 830, 831, 832, 843, 845, 847, 848, 850, 856, 857, 858,
    859, 860, 862, 863, 864, 865, 870, 878, 901, 903, 904, 906, 907, 908, 909, 910, 912, 913, 914,
    915, 916, 917, 918, 919, 920, 925, 928, 931, 936, 937, 940, 941, 947, 949, 951, 952, 954, 956,
    970, 971, 972, 973, 978, 979, 980, 985, 989,
];

/// International numbers, distinct (random subscriber digits): a repeated string would let a
/// cache hide the full parser's cost.
fn international(rng: &mut StdRng) -> String {
    match rng.random_range(0..5) {
        0 => format!(
            "+44 20 7{:03} {:04}",
            rng.random_range(0..1000),
            rng.random_range(0..10_000)
        ),
        1 => format!(
            "+33 1 {:02} {:02} {:02} {:02}",
            rng.random_range(0..100),
            rng.random_range(0..100),
            rng.random_range(0..100),
            rng.random_range(0..100)
        ),
        2 => format!("+49 30 {:07}", rng.random_range(0..10_000_000)),
        3 => format!(
            "+61 2 {:04} {:04}",
            rng.random_range(0..10_000),
            rng.random_range(0..10_000)
        ),
        _ => format!("+91 9{:09}", rng.random_range(0..1_000_000_000)),
    }
}

/// A realistic list: mostly US numbers in mixed formats, some international, some broken,
/// some repeated; a name, an email, a company and a custom column.
fn generate(path: &Path, rows: usize) {
    let mut rng = StdRng::seed_from_u64(7);
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(out, "phone,name,email,company,plan").unwrap();
    let mut previous: Vec<String> = Vec::new();
    for i in 0..rows {
        let roll = rng.random_range(0..100);
        let phone = if roll < 2 && !previous.is_empty() {
            previous[rng.random_range(0..previous.len())].clone()
        } else if roll < 5 {
            ["12345", "not a number", "1.41555E+10", "+1 555 010 9999"][rng.random_range(0..4)]
                .to_owned()
        } else if roll < 12 {
            international(&mut rng)
        } else {
            let npa = AREA_CODES[rng.random_range(0..AREA_CODES.len())];
            let nxx = rng.random_range(200..1000);
            let line = rng.random_range(0..10_000);
            match rng.random_range(0..5) {
                0 => format!("+1{npa}{nxx}{line:04}"),
                1 => format!("({npa}) {nxx}-{line:04}"),
                2 => format!("{npa}-{nxx}-{line:04}"),
                3 => format!("{npa}.{nxx}.{line:04}"),
                _ => format!("1{npa}{nxx}{line:04}"),
            }
        };
        if previous.len() < 1000 {
            previous.push(phone.clone());
        }
        writeln!(
            out,
            "{phone},Contact {i},contact{i}@example.com,\"Company {}, Inc.\",gold",
            i % 977
        )
        .unwrap();
    }
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// The pipeline over the file, streamed in 64 KB reads as from S3. Returns (rows, leads, items
/// built, rejected, fast-path numbers, full-parser numbers).
fn pipeline(path: &Path) -> (u64, u64, u64, u64, u64, u64) {
    use std::io::Read;
    let mut file = std::fs::File::open(path).unwrap();
    let mut buffer = vec![0u8; 64 * 1024];
    let n = file.read(&mut buffer).unwrap();
    let sniffed = sniff(&buffer[..n], false).unwrap();
    let limits = Limits::default();
    let mut reader = RecordReader::new(sniffed, limits, sniffed.encoding.bom_len(), 1);
    let campaign = CampaignRef {
        tenant: TenantId::parse("tenant").unwrap(),
        campaign: CampaignId::parse("campaign").unwrap(),
    };
    let settings = RowSettings {
        region: DefaultRegion::us(),
        encoding: sniffed.encoding,
        limits,
    };
    let mut sink: Option<RowSink> = None;
    let (mut rows, mut leads, mut items, mut rejected) = (0u64, 0u64, 0u64, 0u64);
    let mut builder = adapters::store::LeadItemBuilder::new(&campaign);
    let mut on_record = |record: domain::import::Record<'_>, sink: &mut Option<RowSink>| match sink
    {
        None => {
            let fields = record.fields.unwrap();
            let names = fields
                .iter()
                .map(|f| decode_field(sniffed.encoding, f).unwrap().into_owned())
                .collect();
            *sink = Some(RowSink::new(
                HeaderMap::parse(names).unwrap(),
                settings,
                campaign.campaign.clone(),
                ImportId::parse("bench").unwrap(),
                chrono::Utc::now(),
            ));
        }
        Some(sink) => {
            rows += 1;
            match sink.accept(&record) {
                Row::Lead { lead, .. } => {
                    leads += 1;
                    let item = builder.item(&lead).unwrap();
                    items += u64::from(!item.is_empty());
                }
                Row::Rejected { .. } => rejected += 1,
            }
        }
    };
    let mut chunk = &buffer[..n];
    loop {
        reader.feed(chunk, false, |r| on_record(r, &mut sink));
        let n = file.read(&mut buffer).unwrap();
        if n == 0 {
            break;
        }
        chunk = &buffer[..n];
    }
    reader.feed(&[], true, |r| on_record(r, &mut sink));
    let (fast, full) = sink.as_ref().map_or((0, 0), RowSink::phone_paths);
    (rows, leads, items, rejected, fast, full)
}

fn csv_crate_rate(path: &Path) -> (u64, f64) {
    let started = Instant::now();
    let mut reader = csv::Reader::from_path(path).unwrap();
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    while reader.read_byte_record(&mut record).unwrap() {
        rows += 1;
    }
    (rows, started.elapsed().as_secs_f64())
}

/// Every NPA-NXX with three line numbers: fast path == full parser.
fn verify_fast_path() -> (u64, u64) {
    let mut checked = 0;
    let mut mismatches = 0;
    for npa in 200..1000u32 {
        let mut cache = PhoneCache::new();
        for nxx in 200..1000u32 {
            for line in [0u32, 4821, 9999] {
                let raw = format!("({npa}) {nxx}-{line:04}");
                let fast = cache.normalize(&raw, DefaultRegion::us());
                let full = E164::normalize(&raw, DefaultRegion::us());
                checked += 1;
                if fast != full {
                    mismatches += 1;
                    if mismatches <= 10 {
                        println!("mismatch: {raw}: fast {fast:?} full {full:?}");
                    }
                }
            }
        }
    }
    (checked, mismatches)
}

/// Peak RSS (MB) of a fresh process running only the pipeline over `path`.
fn child_peak_rss(program: &str, path: &Path) -> f64 {
    let child = std::process::Command::new(program)
        .arg("--child-pipeline")
        .arg(path)
        .output()
        .unwrap();
    let child_out = String::from_utf8_lossy(&child.stdout);
    let child_fields: Vec<f64> = child_out
        .split_whitespace()
        .filter_map(|v| v.parse().ok())
        .collect();
    child_fields.get(2).copied().unwrap_or(0.0)
}

/// The Python reference's figures (`rows_per_s`, `seconds`, `peak_rss_mb`), if the project's
/// virtualenv is there to run it.
fn python_reference(path: &Path) -> Option<serde_json::Value> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let python = root.join(".venv/bin/python");
    let reference = std::process::Command::new(&python)
        .arg(root.join("infra/bench/import_reference.py"))
        .arg(path)
        .output();
    reference.ok().and_then(|o| {
        serde_json::from_slice(String::from_utf8_lossy(&o.stdout).trim().as_bytes()).ok()
    })
}

/// The table's Python row and the ratios, or why the reference did not run.
fn print_python_row(py: Option<&serde_json::Value>, rate: f64, csv_rate: f64) {
    match py {
        Some(py) => {
            let py_rate = py["rows_per_s"].as_f64().unwrap_or(0.0);
            println!(
                "| Python reference (`csv` + `phonenumbers`) | {py_rate:.0} | {} s | {} MB |",
                py["seconds"], py["peak_rss_mb"]
            );
            println!(
                "\npipeline / Python: **{:.1}x**; pipeline / bare csv: {:.2}",
                rate / py_rate,
                rate / csv_rate
            );
        }
        None => println!("| Python reference | not run (no .venv: ./infra/python-env.sh) | | |"),
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--child-pipeline") {
        let path = PathBuf::from(&args[pos + 1]);
        let started = Instant::now();
        let (rows, ..) = pipeline(&path);
        let seconds = started.elapsed().as_secs_f64();
        println!("{rows} {seconds} {}", peak_rss_mb());
        return;
    }
    if !args.iter().any(|a| a == "--bench") {
        // `cargo test` runs bench targets without --bench: nothing to do.
        return;
    }
    let rows: usize = std::env::var("BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("import-{rows}.csv"));
    if !path.exists() {
        generate(&path, rows);
    }
    let size_mb = std::fs::metadata(&path).unwrap().len() as f64 / 1e6;

    let (csv_rows, csv_seconds) = csv_crate_rate(&path);

    let started = Instant::now();
    let (piped, leads, items, rejected, fast, full) = pipeline(&path);
    let pipe_seconds = started.elapsed().as_secs_f64();
    assert_eq!(piped as usize, rows);
    assert_eq!(piped, leads + rejected);
    assert_eq!(items, leads);

    let pipe_rss = child_peak_rss(&args[0], &path);

    let py = python_reference(&path);

    let (checked, mismatches) = verify_fast_path();

    let rate = piped as f64 / pipe_seconds;
    let csv_rate = csv_rows as f64 / csv_seconds;
    println!("\n## Import pipeline, {rows} rows ({size_mb:.1} MB), one core, no network\n");
    println!("| what | rows/s | time | peak RSS |");
    println!("|---|---:|---:|---:|");
    println!("| bare `csv` crate parse (ceiling) | {csv_rate:.0} | {csv_seconds:.2} s | |");
    println!(
        "| **pipeline**: decode + parse + normalize + dedupe + lead + DynamoDB item | **{rate:.0}** | {pipe_seconds:.2} s | {pipe_rss:.0} MB |"
    );
    print_python_row(py.as_ref(), rate, csv_rate);
    println!(
        "\nrows {piped}: {leads} leads, {rejected} rejected; numbers on the fast path {fast}, full parser {full}"
    );
    println!(
        "fast path vs full parser over every US NPA-NXX x 3 lines: {checked} checked, {mismatches} mismatches"
    );
    assert_eq!(
        mismatches, 0,
        "the fast path disagrees with the full parser"
    );
}
