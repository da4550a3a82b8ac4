//! The guardrails' snapshots of a campaign's counters (`C#{tenant}#{campaign}` / `HEALTH`).
//!
//! One attribute per snapshot, `h_{epoch second}` = the list of counts in [`FIELDS`] order. A
//! tick reads the item in the same batch as the campaign and its counters, and keeps it with one
//! unconditional update (add the new snapshot, remove the ones no window will use): two ticks
//! racing write the same snapshot of counters that only grow, so neither can make a window
//! count less than happened. Kept apart from the counters item, which every attempt writes
//! several times: there its size would be paid on every write.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::{DateTime, Utc};
use domain::guardrails::{HealthCounts, HealthSnapshot};
use domain::ids::CampaignRef;

use super::{DynamoStore, StoreError, aws, keys, n, s};

/// The counts in a snapshot's list. Snapshots written before `agent_unavailable` was counted
/// have the first seven, before the disclosures the first eight (the missing read as 0).
const FIELDS: usize = 10;
const FIELDS_BEFORE_DISCLOSURES: usize = 8;
const FIELDS_BEFORE_AGENT_UNAVAILABLE: usize = 7;

fn counts_list(c: &HealthCounts) -> AttributeValue {
    let values = [
        c.attempts,
        c.finished,
        c.failed,
        c.connected,
        c.opted_out,
        c.throttled,
        c.dnc_hits,
        c.agent_unavailable,
        c.disclosures_due,
        c.disclosures_missed,
    ];
    AttributeValue::L(values.into_iter().map(n).collect())
}

fn attr(at: DateTime<Utc>) -> String {
    format!("h_{}", at.timestamp())
}

/// The snapshots in a `HEALTH` item; an attribute that does not decode is left out (a window
/// without it is only shorter or longer by a snapshot, never wrong about what it counts).
pub(crate) fn decode_health(item: &HashMap<String, AttributeValue>) -> Vec<HealthSnapshot> {
    let mut out: Vec<HealthSnapshot> = item
        .iter()
        .filter_map(|(name, value)| {
            let at = DateTime::from_timestamp(name.strip_prefix("h_")?.parse().ok()?, 0)?;
            let list = value.as_l().ok()?;
            let v: Vec<i64> = list
                .iter()
                .map(|x| x.as_n().ok()?.parse().ok())
                .collect::<Option<_>>()?;
            let known = [
                FIELDS,
                FIELDS_BEFORE_DISCLOSURES,
                FIELDS_BEFORE_AGENT_UNAVAILABLE,
            ]
            .contains(&v.len());
            known.then(|| HealthSnapshot {
                at,
                counts: HealthCounts {
                    attempts: v[0],
                    finished: v[1],
                    failed: v[2],
                    connected: v[3],
                    opted_out: v[4],
                    throttled: v[5],
                    dnc_hits: v[6],
                    agent_unavailable: v.get(7).copied().unwrap_or(0),
                    disclosures_due: v.get(8).copied().unwrap_or(0),
                    disclosures_missed: v.get(9).copied().unwrap_or(0),
                },
            })
        })
        .collect();
    out.sort_by_key(|s| s.at);
    out
}

impl DynamoStore {
    /// Adds a snapshot and drops others, in one update.
    pub(crate) async fn write_health(
        &self,
        c: &CampaignRef,
        add: Option<HealthSnapshot>,
        drop: &[DateTime<Utc>],
    ) -> Result<(), StoreError> {
        if add.is_none() && drop.is_empty() {
            return Ok(());
        }
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::campaign_pk(c)))
            .key(keys::SK, s(keys::HEALTH_SK));
        let mut clauses = Vec::new();
        if let Some(snapshot) = add {
            request = request
                .expression_attribute_names("#add", attr(snapshot.at))
                .expression_attribute_values(":add", counts_list(&snapshot.counts));
            clauses.push("SET #add = :add".to_owned());
        }
        let mut removes = Vec::new();
        for (i, at) in drop
            .iter()
            .filter(|at| add.is_none_or(|a| a.at != **at))
            .enumerate()
        {
            request = request.expression_attribute_names(format!("#d{i}"), attr(*at));
            removes.push(format!("#d{i}"));
        }
        if !removes.is_empty() {
            clauses.push(format!("REMOVE {}", removes.join(", ")));
        }
        request
            .update_expression(clauses.join(" "))
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }
}
