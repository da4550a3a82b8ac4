//! What a campaign produced: hourly analytics items (`HOUR#…`), export jobs (`EXPORT#…`), the
//! last reconciliation (`RECONCILE`), and the conditional rewrite of counters that repairs
//! drift.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::NaiveDateTime;
use domain::ids::{CampaignRef, ExportId};
use domain::results::{HourTally, Tally};
use domain::retry::Outcome;
use domain::status::LeadStatus;
use ports::store::{ExportRecord, Exports, Reports};
use serde::{Deserialize, Serialize};

use super::keys;
use super::{
    DynamoStore, PrefixRead, StoreError, WriteError, aws, conditional, corrupt, decode_record, n, s,
};

/// The stored names and values of the counters a reconciliation rewrites (absent outcomes as
/// 0). Pacing state is not among them: the rolling hour is transient and self-correcting.
fn tally_attributes(tally: &Tally) -> Vec<(String, i64)> {
    let mut out: Vec<(String, i64)> = LeadStatus::ALL
        .iter()
        .enumerate()
        .map(|(i, status)| (format!("n_{}", status.as_str()), tally.by_status[i]))
        .collect();
    out.push(("attempts".into(), tally.attempts));
    out.push(("talk_seconds".into(), tally.talk_seconds));
    out.push(("in_flight".into(), tally.in_flight));
    for outcome in Outcome::ALL {
        out.push((
            format!("o_{}", outcome.as_str()),
            tally.outcomes.get(&outcome).copied().unwrap_or(0),
        ));
    }
    out
}

#[derive(Serialize, Deserialize)]
pub(super) struct ExportItem {
    pk: String,
    sk: String,
    kind: String,
    #[serde(flatten)]
    pub(super) record: ExportRecord,
}

#[derive(Serialize, Deserialize)]
struct ReportItem<T> {
    pk: String,
    sk: String,
    kind: String,
    report: T,
}

fn num(item: &HashMap<String, AttributeValue>, name: &str) -> i64 {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// An export job as stored.
fn export_item(
    record: &ExportRecord,
) -> Result<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, StoreError>
{
    serde_dynamo::to_item(ExportItem {
        pk: keys::campaign_pk(&record.campaign),
        sk: keys::export_sk(&record.id),
        kind: "export".into(),
        record: record.clone(),
    })
    .map_err(|e| corrupt(record.id.as_str(), e))
}

impl DynamoStore {
    async fn write_export(&self, record: &ExportRecord, new: bool) -> Result<(), WriteError> {
        let item = export_item(record)?;
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(new.then(|| "attribute_not_exists(pk)".to_owned()));
        conditional(request.send().await).map(|_| ())
    }
}

#[async_trait]
impl Exports for DynamoStore {
    /// Records a new export job (refused if the id exists).
    async fn create_export(&self, record: &ExportRecord) -> Result<(), WriteError> {
        self.write_export(record, true).await
    }

    /// Saves an export job's progress.
    async fn save_export(&self, record: &ExportRecord) -> Result<(), WriteError> {
        self.write_export(record, false).await
    }

    async fn save_export_telling(
        &self,
        record: &ExportRecord,
        event: &domain::webhooks::Event,
    ) -> Result<(), WriteError> {
        use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
        let item = export_item(record)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .build()
            .map_err(|e| corrupt(record.id.as_str(), e))?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            super::webhooks::event_put(&self.table, &record.campaign.tenant, event)?,
        ];
        self.transact_or(items, ports::store::Refusal::Stale).await
    }

    /// Reads an export job.
    async fn get_export(
        &self,
        campaign: &CampaignRef,
        id: &ExportId,
    ) -> Result<Option<ExportRecord>, StoreError> {
        decode_record(
            self.consistent_item(keys::campaign_pk(campaign), keys::export_sk(id))
                .await?,
            id.as_str(),
            |i: ExportItem| i.record,
        )
    }
}

#[async_trait]
impl Reports for DynamoStore {
    /// A campaign's hourly items, oldest first (one item per hour with calls: a query over at
    /// most the campaign's hours, never over its leads).
    async fn hourly_counters(&self, campaign: &CampaignRef) -> Result<Vec<HourTally>, StoreError> {
        let read = PrefixRead {
            consistent: true,
            ..PrefixRead::default()
        };
        let items = self
            .items_with_prefix(keys::campaign_pk(campaign), keys::HOUR_PREFIX, read)
            .await?;
        let mut hours = Vec::with_capacity(items.len());
        for item in items {
            let sk = item
                .get(keys::SK)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let hour = sk
                .strip_prefix(keys::HOUR_PREFIX)
                .and_then(|h| {
                    NaiveDateTime::parse_from_str(&format!("{h}:00"), "%Y-%m-%dT%H:%M").ok()
                })
                .ok_or_else(|| corrupt(&sk, "not an hour"))?
                .and_utc();
            hours.push(HourTally {
                hour,
                started: num(&item, "started"),
                connected: num(&item, "connected"),
                talk_seconds: num(&item, "talk_seconds"),
                answered: num(&item, "answered"),
                abandoned: num(&item, "abandoned"),
            });
        }
        Ok(hours)
    }

    /// Overwrites one hour's item (reconciliation's repair).
    async fn put_hourly_counters(
        &self,
        campaign: &CampaignRef,
        hour: &HourTally,
    ) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(keys::PK, s(keys::campaign_pk(campaign)))
            .item(keys::SK, s(keys::hour_sk(hour.hour)))
            .item("kind", s("hour"))
            .item("started", n(hour.started))
            .item("connected", n(hour.connected))
            .item("talk_seconds", n(hour.talk_seconds))
            .item("answered", n(hour.answered))
            .item("abandoned", n(hour.abandoned))
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }

    /// Replaces the reconciled counters with `new`, on the condition that every one of them
    /// still holds the value in `expected` (read before the leads were counted). Any lead
    /// transition in between moves at least one of them, so a repair computed from a moving
    /// campaign is refused ([`Refusal::Stale`]) instead of writing a stale truth.
    async fn replace_counters(
        &self,
        campaign: &CampaignRef,
        expected: &Tally,
        new: &Tally,
    ) -> Result<(), WriteError> {
        let mut names = HashMap::new();
        let mut values = HashMap::new();
        let mut sets = Vec::new();
        let mut conditions = Vec::new();
        for (i, ((name, old), (_, value))) in tally_attributes(expected)
            .into_iter()
            .zip(tally_attributes(new))
            .enumerate()
        {
            names.insert(format!("#a{i}"), name);
            values.insert(format!(":n{i}"), n(value));
            sets.push(format!("#a{i} = :n{i}"));
            if old == 0 {
                conditions.push(format!("(attribute_not_exists(#a{i}) OR #a{i} = :o{i})"));
            } else {
                conditions.push(format!("#a{i} = :o{i}"));
            }
            values.insert(format!(":o{i}"), n(old));
        }
        let result = self
            .counters_update(campaign)
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(conditions.join(" AND "))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        conditional(result).map(|_| ())
    }

    /// Stores a campaign's last reconciliation report (any serializable report).
    async fn put_reconcile_report(
        &self,
        campaign: &CampaignRef,
        report: &ports::store::ReconcileReport,
    ) -> Result<(), StoreError> {
        let item = serde_dynamo::to_item(ReportItem {
            pk: keys::campaign_pk(campaign),
            sk: keys::RECONCILE_SK.to_owned(),
            kind: "reconcile".into(),
            report,
        })
        .map_err(|e| corrupt(keys::RECONCILE_SK, e))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }

    /// A campaign's last reconciliation report.
    async fn reconcile_report(
        &self,
        campaign: &CampaignRef,
    ) -> Result<Option<ports::store::ReconcileReport>, StoreError> {
        decode_record(
            self.consistent_item(keys::campaign_pk(campaign), keys::RECONCILE_SK)
                .await?,
            keys::RECONCILE_SK,
            |i: ReportItem<ports::store::ReconcileReport>| i.report,
        )
    }
}
