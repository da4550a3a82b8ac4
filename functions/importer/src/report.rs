//! The rejected-rows report: a CSV part per chunk (rewritten whole if the chunk is retried),
//! composed into one file under `reports/` when the import ends.

use domain::results::neutralize;
use ports::blobs::{BlobError, BlobReads, Blobs};

/// Where the parts of an import's report live.
pub fn part_prefix(tenant: &str, campaign: &str, import: &str) -> String {
    format!("reports/{tenant}/{campaign}/{import}/part-")
}

/// A part's key.
pub fn part_key(tenant: &str, campaign: &str, import: &str, chunk: u32) -> String {
    format!("{}{chunk:06}.csv", part_prefix(tenant, campaign, import))
}

/// The composed report's key.
pub fn report_key(tenant: &str, campaign: &str, import: &str) -> String {
    format!("reports/{tenant}/{campaign}/{import}.csv")
}

/// Rejected rows as CSV lines (no header): line, reason, original values — each neutralized
/// against spreadsheet formulas as the export is (a rejected row is often one a spreadsheet
/// wrote, and the report is opened in one). A phone cell given an apostrophe still imports.
pub fn part_csv(rows: &[(u64, &str, &[String])]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    for (line, reason, raw) in rows {
        let mut record = vec![line.to_string(), (*reason).to_owned()];
        record.extend(raw.iter().map(|cell| neutralize(cell).into_owned()));
        let _ = writer.write_record(&record);
    }
    writer.into_inner().unwrap_or_default()
}

/// The report's header line: `line,reason,` then the file's own header.
pub fn header_csv(header: &[String]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .flexible(true)
        .from_writer(Vec::new());
    let mut record = vec!["line".to_owned(), "reason".to_owned()];
    record.extend(header.iter().map(|cell| neutralize(cell).into_owned()));
    let _ = writer.write_record(&record);
    writer.into_inner().unwrap_or_default()
}

/// Composes the parts under `prefix` (in key order) after `header` into `key`, streaming with a
/// multipart upload so memory stays at one part whatever the report's size.
pub async fn compose(
    blobs: &(impl Blobs + BlobReads + ?Sized),
    prefix: &str,
    header: Vec<u8>,
    key: &str,
) -> Result<(), BlobError> {
    let parts = blobs.keys_under(prefix).await?;
    let mut writer = blobs.upload(key, "text/csv").await?;
    writer.write(&header).await?;
    for part in parts {
        // Parts are written once and never replaced: no version to hold them to.
        let Some(mut body) = blobs.read_from(&part, 0, None).await? else {
            continue;
        };
        while let Some(bytes) = body.next_bytes().await? {
            writer.write(&bytes).await?;
        }
    }
    writer.finish().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use domain::phone::{DefaultRegion, E164};

    use super::*;

    #[test]
    fn rejected_rows_cannot_run_as_formulas_and_their_numbers_still_import() {
        let raw = vec![
            "=HYPERLINK(\"http://evil.example\",\"x\")".to_owned(),
            "@SUM(A1)".to_owned(),
            "+1 212 555 0100".to_owned(),
            "Ada".to_owned(),
        ];
        let csv = part_csv(&[(7, "phone_invalid", &raw)]);
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv.as_slice());
        let record = reader.records().next().unwrap().unwrap();
        let cells: Vec<&str> = record.iter().collect();
        assert_eq!(cells[..2], ["7", "phone_invalid"]);
        assert!(cells[2].starts_with("'="), "{}", cells[2]);
        assert!(cells[3].starts_with("'@"), "{}", cells[3]);
        assert_eq!(cells[5], "Ada", "plain cells are kept");
        // A person fixes the report and uploads it again: the apostrophe does not cost the row.
        let number = E164::normalize(cells[4], DefaultRegion::us()).unwrap();
        assert_eq!(number.e164.as_str(), "+12125550100");
        let header = header_csv(&["phone".into(), "=cmd".into()]);
        assert!(String::from_utf8(header).unwrap().contains("'=cmd"));
    }
}
