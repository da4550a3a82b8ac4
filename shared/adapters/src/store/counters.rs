//! A campaign's counters and pacing state (`C#{tenant}#{campaign}` / `STATS`).
//!
//! Status counts, attempts, outcomes and talk time move in the same transaction as the lead
//! transitions that cause them. `in_flight` is the concurrency semaphore; `hour_starts` with
//! one `m_{epoch minute}` attribute per minute is the rolling-hour window: a dialer adds a
//! start to both, and [`DynamoStore::roll_hour_window`] subtracts a minute once it is wholly
//! more than an hour old. A minute leaves the count late, never early, so the count can only
//! overstate starts in the last hour: the cap is never exceeded.
//!
//! `due_changes` counts the writes that can put a lead on the due index earlier than a tick
//! last saw it (a call ending in a retry or a callback, a call given back, an import), and
//! `quiet_until`/`quiet_changes` is the hint a tick leaves when it has dealt with every lead due
//! before the next tick: "no lead in due shard `s` is due before `quiet_until[s]`, as of
//! `quiet_changes` due changes". The hint holds only while the count is unchanged, so ticks
//! skip the shards with nothing due in quiet minutes and any due change makes the next tick read
//! them all again (see [`CampaignCounters::quiet_shards`]).

use async_trait::async_trait;
use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use domain::ids::CampaignRef;
use domain::lead::status_index;
use domain::pacing::MINUTES_PER_HOUR;
use domain::retry::Outcome;
use domain::status::LeadStatus;
use ports::store::{CampaignRecord, Counters};

use super::keys;
use super::{CampaignCounters, QuietHint};
use super::{DynamoStore, Refusal, StoreError, WriteError, aws, corrupt, n, s};

/// Reads the counters item (attributes it does not know are ignored; absent ones are 0).
pub(crate) fn decode_counters(
    item: &std::collections::HashMap<String, AttributeValue>,
) -> CampaignCounters {
    let num = |v: &AttributeValue| {
        v.as_n()
            .ok()
            .and_then(|n| n.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let mut out = CampaignCounters::default();
    let (mut quiet_until, mut quiet_changes) = (None, None);
    for (name, value) in item {
        if let Some(status) = name.strip_prefix("n_").and_then(LeadStatus::parse) {
            out.by_status[status_index(status)] = num(value);
        } else if let Some(outcome) = name.strip_prefix("o_").and_then(Outcome::parse) {
            out.outcomes.insert(outcome, num(value));
        } else if let Some(minute) = name.strip_prefix("m_").and_then(|m| m.parse::<i64>().ok()) {
            out.minute_starts.insert(minute, num(value));
        } else {
            match name.as_str() {
                "attempts" => out.attempts = num(value),
                "talk_seconds" => out.talk_seconds = num(value),
                "in_flight" => out.in_flight = num(value),
                super::quarantine::QUARANTINED_COUNT => out.quarantined = num(value),
                super::erasure::ERASED_COUNT => out.erased = num(value),
                "hour_starts" => out.hour_starts = num(value),
                "throttled" => out.throttled = num(value),
                "dnc_hits" => out.dnc_hits = num(value),
                "disclosures_due" => out.disclosures_due = num(value),
                "disclosures_missed" => out.disclosures_missed = num(value),
                DUE_CHANGES => out.due_changes = num(value),
                QUIET_UNTIL => {
                    quiet_until = value.as_l().ok().and_then(|list| {
                        list.iter()
                            .map(|v| DateTime::from_timestamp_millis(num(v)))
                            .collect::<Option<Vec<_>>>()
                    })
                }
                QUIET_CHANGES => quiet_changes = Some(num(value)),
                _ => {}
            }
        }
    }
    out.quiet = quiet_until
        .zip(quiet_changes)
        .map(|(until, changes)| QuietHint { until, changes });
    out
}

/// Counter of due changes (see the module docs).
pub(crate) const DUE_CHANGES: &str = "due_changes";
const QUIET_UNTIL: &str = "quiet_until";
const QUIET_CHANGES: &str = "quiet_changes";

impl DynamoStore {
    /// An update of the campaign's counters item (its table and key set).
    pub(crate) fn counters_update(&self, c: &CampaignRef) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::campaign_pk(c)))
            .key(keys::SK, s(keys::STATS_SK))
    }
}

#[async_trait]
impl Counters for DynamoStore {
    /// Reads a campaign's counters (strongly consistent; one item, whatever the campaign size).
    async fn counters(&self, c: &CampaignRef) -> Result<CampaignCounters, StoreError> {
        let item = self
            .consistent_item(keys::campaign_pk(c), keys::STATS_SK)
            .await?;
        Ok(item.as_ref().map(decode_counters).unwrap_or_default())
    }

    /// Adds freshly imported leads to the Pending count (a due change: call it after the leads
    /// are written).
    async fn add_imported(&self, c: &CampaignRef, count: i64) -> Result<(), StoreError> {
        if count == 0 {
            return Ok(());
        }
        let attr = format!("n_{}", LeadStatus::Pending.as_str());
        self.counters_update(c)
            .update_expression("ADD #n :count, #changes :one")
            .expression_attribute_names("#n", attr)
            .expression_attribute_names("#changes", DUE_CHANGES)
            .expression_attribute_values(":count", n(count))
            .expression_attribute_values(":one", n(1))
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }

    /// Drops from the rolling-hour count every minute wholly more than an hour before `now`,
    /// given the counters just read. One conditional write: if another tick rolled the same
    /// minutes first, this one is refused and changes nothing. Returns the starts dropped.
    async fn roll_hour_window(
        &self,
        c: &CampaignRef,
        counters: &CampaignCounters,
        now: DateTime<Utc>,
    ) -> Result<i64, WriteError> {
        let now_minute = now.timestamp().div_euclid(60);
        // Minute k holds starts in [k, k+1); all of them are more than an hour old once
        // now >= k + 1 + 60.
        let stale: Vec<(i64, i64)> = counters
            .minute_starts
            .iter()
            .filter(|(minute, _)| **minute + 1 + MINUTES_PER_HOUR <= now_minute)
            .map(|(m, v)| (*m, *v))
            .collect();
        if stale.is_empty() {
            return Ok(0);
        }
        let mut request = self.counters_update(c);
        let mut removes = Vec::new();
        let mut conditions = Vec::new();
        let mut total = 0;
        for (i, (minute, count)) in stale.iter().enumerate() {
            request = request
                .expression_attribute_names(format!("#m{i}"), keys::minute_attr(*minute))
                .expression_attribute_values(format!(":c{i}"), n(*count));
            removes.push(format!("#m{i}"));
            conditions.push(format!("#m{i} = :c{i}"));
            total += count;
        }
        let result = request
            .update_expression(format!(
                "REMOVE {} ADD hour_starts :drop",
                removes.join(", ")
            ))
            .condition_expression(conditions.join(" AND "))
            .expression_attribute_values(":drop", n(-total))
            .send()
            .await;
        match result {
            Ok(_) => Ok(total),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(WriteError::Refused(Refusal::Conflict))
            }
            Err(err) => Err(WriteError::Store(aws(err))),
        }
    }

    /// Reads a campaign, its counters and the guardrails' snapshots in one request (strongly
    /// consistent): what a tick
    /// needs first, for the price of one read.
    async fn campaign_with_counters(
        &self,
        c: &CampaignRef,
    ) -> Result<(Option<CampaignRecord>, CampaignCounters), StoreError> {
        use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
        use std::collections::HashMap;
        let key = |pk: String, sk: String| -> HashMap<String, AttributeValue> {
            HashMap::from([(keys::PK.to_owned(), s(pk)), (keys::SK.to_owned(), s(sk))])
        };
        let meta_key = key(keys::tenant_pk(&c.tenant), keys::campaign_sk(&c.campaign));
        let stats_key = key(keys::campaign_pk(c), keys::STATS_SK.into());
        let health_key = key(keys::campaign_pk(c), keys::HEALTH_SK.into());
        let request = KeysAndAttributes::builder()
            .keys(meta_key.clone())
            .keys(stats_key.clone())
            .keys(health_key)
            .consistent_read(true)
            .build()
            .map_err(|e| corrupt(c, e))?;
        let found = self.batch_get(request).await?;
        let mut record = None;
        let mut counters = CampaignCounters::default();
        let mut health = Vec::new();
        for item in found {
            let sk = item
                .get(keys::SK)
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            if sk == keys::STATS_SK {
                counters = decode_counters(&item);
            } else if sk == keys::HEALTH_SK {
                health = super::health::decode_health(&item);
            } else {
                record = Some(
                    serde_dynamo::from_item::<_, super::campaigns::CampaignItem>(item)
                        .map(|i| i.record)
                        .map_err(|e| corrupt(c, e))?,
                );
            }
        }
        counters.health = health;
        Ok((record, counters))
    }

    async fn keep_health(
        &self,
        c: &CampaignRef,
        add: Option<domain::guardrails::HealthSnapshot>,
        drop: &[DateTime<Utc>],
    ) -> Result<(), StoreError> {
        self.write_health(c, add, drop).await
    }

    /// Leaves the quiet hint `until` (per due shard) on the counters, as of the `changes` the tick
    /// read before it read the due index. One unconditional write: a due change made meanwhile
    /// has already moved `due_changes` past `changes`, so the hint it would contradict never
    /// holds.
    async fn leave_quiet_hint(
        &self,
        c: &CampaignRef,
        until: &[DateTime<Utc>],
        changes: i64,
    ) -> Result<(), StoreError> {
        let until = AttributeValue::L(until.iter().map(|at| n(at.timestamp_millis())).collect());
        self.counters_update(c)
            .update_expression("SET #until = :until, #changes = :changes")
            .expression_attribute_names("#until", QUIET_UNTIL)
            .expression_attribute_names("#changes", QUIET_CHANGES)
            .expression_attribute_values(":until", until)
            .expression_attribute_values(":changes", n(changes))
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }
}
