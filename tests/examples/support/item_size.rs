//! Item sizes as DynamoDB bills them, read back from the table after a benchmark run: the
//! cost calculator's write units come from these, not from guesses.
//!
//! DynamoDB's rules (Developer Guide, "Item sizes and formats"): an item is the sum of its
//! attribute names and values; a string is its UTF-8 length, a number about one byte per two
//! significant digits plus one, a binary its length, a boolean or null one byte; a list or map
//! three bytes plus one byte per element plus its elements (a map's element names included).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::AttributeValue;

/// The billed size of a value, in bytes.
pub fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(v) => v.iter().map(String::len).sum(),
        AttributeValue::Ns(v) => v.iter().map(|n| number_size(n)).sum(),
        AttributeValue::Bs(v) => v.iter().map(|b| b.as_ref().len()).sum(),
        AttributeValue::L(items) => 3 + items.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

fn number_size(n: &str) -> usize {
    let digits = n
        .trim_start_matches('-')
        .replace('.', "")
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    digits.div_ceil(2) + 1
}

/// The billed size of an item.
pub fn item_size(item: &std::collections::HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

/// Scans the table and prints, per item kind, how many there are and their sizes (median, p95,
/// max) with the write units one write of each costs (1 KB units, rounded up).
pub async fn print_item_sizes(
    client: &aws_sdk_dynamodb::Client,
    table: &str,
) -> anyhow::Result<()> {
    let mut by_kind: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut start = None;
    loop {
        let page = client
            .scan()
            .table_name(table)
            .set_exclusive_start_key(start)
            .send()
            .await?;
        for item in page.items() {
            let kind = item_kind(item);
            by_kind.entry(kind).or_default().push(item_size(item));
        }
        match page.last_evaluated_key() {
            Some(key) => start = Some(key.clone()),
            None => break,
        }
    }
    println!("\n## Item sizes as stored (billed bytes; write units per write, 1 KB each)\n");
    println!("| item | count | median | p95 | max | WRU per write (median) |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (kind, mut sizes) in by_kind {
        sizes.sort_unstable();
        let at = |q: f64| sizes[((sizes.len() - 1) as f64 * q).round() as usize];
        println!(
            "| {kind} | {} | {} B | {} B | {} B | {} |",
            sizes.len(),
            at(0.5),
            at(0.95),
            sizes[sizes.len() - 1],
            at(0.5).div_ceil(1024)
        );
    }
    Ok(())
}

/// What an item is, from its keys: a lead (called or not yet), the campaign's counters, an
/// hour bucket, a rate item, or the first part of its sort key.
fn item_kind(item: &std::collections::HashMap<String, AttributeValue>) -> String {
    let text = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .cloned()
            .unwrap_or_default()
    };
    let (pk, sk) = (text("pk"), text("sk"));
    if pk.starts_with("R#") {
        return "attempt record".into();
    }
    if pk.starts_with("L#") {
        let called = item.values().any(value_mentions_attempts);
        return if called {
            "lead, called".into()
        } else {
            "lead, not yet called".into()
        };
    }
    match sk.as_str() {
        "STATS" => "campaign counters".into(),
        s if s.starts_with("HOUR#") => "hour bucket".into(),
        s if s.starts_with('+') => "dnc entry".into(),
        other => other.split('#').next().unwrap_or("other").to_lowercase(),
    }
}

/// A lead's state (JSON text) that counts an attempt: the lead has been called.
fn value_mentions_attempts(v: &AttributeValue) -> bool {
    v.as_s()
        .is_ok_and(|text| text.contains("\"attempts\":") && !text.contains("\"attempts\":0"))
}
