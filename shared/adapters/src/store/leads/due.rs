//! The due index: which leads are due, in due order, read shard by shard.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::ids::CampaignRef;
use domain::lead::{DueKind, Lead};
use ports::store::DueLeads;
use ports::store::{DueBatch, DueRead, DueScan, ShardRead};

use super::read_lead;
use crate::store::keys;
use crate::store::{DynamoStore, StoreError, aws, n, s};
use ports::store::LEAD_SHARDS;

#[async_trait]
impl DueLeads for DynamoStore {
    /// Leads whose `kind` deadline is at or before `now`, read from the sparse due index only,
    /// sorted by due time: up to `batch.most`, and no further shard is read once
    /// `batch.enough` are found (each query is a read request; a shard that answers with
    /// enough spares the others). Dial shards are visited round-robin from `first_shard`
    /// (each contributing its earliest), so consecutive ticks start on different shards and
    /// none starves.
    /// Results may be slightly stale (the index is eventually consistent); writes are
    /// conditional on the version, so a stale lead costs a refused write, never a double dial.
    async fn due_leads(
        &self,
        campaign: &CampaignRef,
        kind: DueKind,
        now: DateTime<Utc>,
        batch: DueBatch,
        first_shard: u8,
    ) -> Result<Vec<Lead>, StoreError> {
        let read = DueRead {
            kind,
            due_by: now,
            look_until: now,
            batch,
            first_shard,
            skip: &[],
        };
        Ok(self.scan_due(campaign, read).await?.due)
    }

    /// [`DynamoStore::due_leads`], looking ahead in the same queries (no extra request) and not
    /// reading the shards the read skips: it also says, per shard, whether it was read past
    /// `due_by` and when its next lead after that falls due — what a tick needs to leave a
    /// quiet hint.
    async fn scan_due(
        &self,
        campaign: &CampaignRef,
        read: DueRead<'_>,
    ) -> Result<DueScan, StoreError> {
        let DueRead {
            kind,
            due_by: now,
            look_until,
            batch,
            first_shard,
            skip,
        } = read;
        let limit = batch.most;
        let shards: Vec<u8> = match kind {
            DueKind::Dial => (0..LEAD_SHARDS)
                .map(|i| (first_shard + i) % LEAD_SHARDS)
                .collect(),
            DueKind::CallDeadline => vec![0],
        };
        let look_until = look_until.max(now);
        let mut scan = DueScan {
            due: Vec::new(),
            shards: vec![ShardRead::NotRead; shards.len()],
        };
        for shard in shards {
            if skip.get(usize::from(shard)).copied().unwrap_or(false) {
                continue;
            }
            if scan.due.len() >= batch.enough.min(limit) {
                break;
            }
            let want = i32::try_from(limit - scan.due.len()).unwrap_or(i32::MAX);
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::DUE_INDEX)
                .key_condition_expression("#pk = :pk AND #at <= :until")
                .expression_attribute_names("#pk", keys::DUE_PK)
                .expression_attribute_names("#at", keys::DUE_AT)
                .expression_attribute_values(":pk", s(keys::due_shard_pk(campaign, kind, shard)))
                .expression_attribute_values(":until", n(look_until.timestamp_millis()))
                .limit(want)
                .send()
                .await
                .map_err(aws)?;
            // The shard's answer is in due order: all it holds due at `now` comes before
            // anything later, so one later lead (or the end of the shard) proves it was read out.
            let mut read_past_now = out.last_evaluated_key.is_none();
            let mut next_due: Option<DateTime<Utc>> = None;
            for item in out.items.unwrap_or_default() {
                let lead = match read_lead(item) {
                    Ok(lead) => lead,
                    Err(unreadable) => {
                        // Set aside: the quarantine takes it off the due index.
                        self.quarantine_lead(campaign, &unreadable).await?;
                        continue;
                    }
                };
                match lead.state.due() {
                    Some((_, at)) if at > now => {
                        read_past_now = true;
                        next_due = Some(next_due.map_or(at, |next| next.min(at)));
                    }
                    _ => scan.due.push(lead),
                }
            }
            scan.shards[usize::from(shard)] = if read_past_now {
                ShardRead::ReadOut(next_due)
            } else {
                ShardRead::Partial
            };
        }
        scan.due
            .sort_by_key(|lead| lead.state.due().map(|(_, at)| at));
        Ok(scan)
    }
}
