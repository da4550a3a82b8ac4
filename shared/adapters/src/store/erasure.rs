//! Erasures: their records (`T#{tenant}` / `ERASURE#{id}`), the erased numbers' markers
//! (`ERASED#{tenant}` / marker, checked by the claim's transaction), and the deletes that
//! take a number out of the table.
//!
//! A lead is deleted in one transaction with everything that counted it: the campaign's
//! `STATS` (its status, its attempts, talk time and outcomes, the live call's slot; `erased`
//! counts it), its calls' hourly analytics items, the provider line a live call holds. The
//! counters then still equal what the remaining leads say, so a reconciliation finds no drift
//! and a campaign whose last open lead was erased completes.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Delete, TransactWriteItem, WriteRequest};
use chrono::{DateTime, Utc};
use domain::erasure::ErasureRecord;
use domain::ids::{CampaignRef, ErasureId, LeadId, LeadRef, TenantId};
use domain::lead::Lead;
use domain::phone::E164;
use domain::results::{Tally, Timeline};
use ports::store::{
    Erasures, ExportRecord, NumberForgotten, Refusal, Retention, StoreError, WriteError,
};
use serde::{Deserialize, Serialize};

use super::leads::transition::Expr;
use super::{DynamoStore, PrefixRead, aws, corrupt, decode_record, decode_records, keys, s};

/// Lead expiries written at once by a `retain` job.
const EXPIRY_WRITES_AT_ONCE: usize = 16;

/// The campaign counter of erased leads.
pub(crate) const ERASED_COUNT: &str = "erased";

#[derive(Serialize, Deserialize)]
struct ErasureItem {
    pk: String,
    sk: String,
    kind: String,
    #[serde(flatten)]
    record: ErasureRecord,
}

impl DynamoStore {
    /// Deletes items by key, 25 at a time; what stays unprocessed fails the call (retryable).
    async fn delete_keys(&self, keys_: Vec<(String, String)>) -> Result<(), StoreError> {
        for chunk in keys_.chunks(25) {
            let requests = chunk
                .iter()
                .map(|(pk, sk)| {
                    let delete = aws_sdk_dynamodb::types::DeleteRequest::builder()
                        .key(keys::PK, s(pk.clone()))
                        .key(keys::SK, s(sk.clone()))
                        .build()
                        .map_err(|e| corrupt("erasure", e))?;
                    Ok(WriteRequest::builder().delete_request(delete).build())
                })
                .collect::<Result<Vec<_>, StoreError>>()?;
            let left = self.batch_write(requests).await?;
            if !left.is_empty() {
                return Err(StoreError::Request {
                    retryable: true,
                    source: format!("{} deletes unprocessed", left.len()).into(),
                });
            }
        }
        Ok(())
    }

    /// The keys of the DNC removal log's entries that name `number` (`{removed_at}#{E.164}`).
    async fn removals_naming(
        &self,
        tenant: &TenantId,
        number: &E164,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let (pk, suffix) = (keys::dnc_removals_pk(tenant), format!("#{number}"));
        let mut found = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(pk.clone()))
                .projection_expression("sk")
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(aws)?;
            let sks = out.items.unwrap_or_default().into_iter();
            found.extend(
                sks.filter_map(|item| item.get(keys::SK).and_then(|v| v.as_s().ok()).cloned())
                    .filter(|sk| sk.ends_with(&suffix))
                    .map(|sk| (pk.clone(), sk)),
            );
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok(found);
            }
        }
    }

    /// One lead's expiry set (or taken off); a lead already gone is left so.
    /// The lead's expiry and its attempt records' (every attempt's key: one never finished
    /// has no item, and is skipped).
    async fn expire_lead(
        &self,
        lead: LeadRef,
        attempts: u8,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let items = std::iter::once(keys::lead_key(&lead))
            .chain((1..=attempts).map(|attempt| keys::record_key(&lead, attempt)));
        for (pk, sk) in items {
            let mut e = Expr::default();
            match at {
                Some(at) => e.set(keys::EXPIRES_AT, super::n(at.timestamp())),
                None => {
                    let name = e.name(keys::EXPIRES_AT);
                    e.remove.push(name);
                }
            }
            e.conditions.push("attribute_exists(pk)".into());
            let update = e.update(&self.table, pk, sk)?;
            self.update_if_there(update).await?;
        }
        Ok(())
    }

    /// Sends one update built for a transaction on its own; an item that is not there (its
    /// condition failed) is left so.
    async fn update_if_there(
        &self,
        update: aws_sdk_dynamodb::types::Update,
    ) -> Result<(), StoreError> {
        let result = self.update_item_of(update).send().await;
        super::condition_held(result).map(|_| ())
    }

    /// Whether an item exists (strongly consistent).
    async fn exists(&self, pk: String, sk: String) -> Result<bool, StoreError> {
        Ok(self.consistent_item(pk, sk).await?.is_some())
    }

    /// The campaign's counters without the lead: every count [`Tally::add`] gave it, the live
    /// call's slot, and one more erased.
    fn stats_without(stored: &Lead) -> Expr {
        let tally = Tally::of([&stored.state]);
        let mut e = Expr::default();
        for (status, count) in domain::status::LeadStatus::ALL.iter().zip(tally.by_status) {
            e.add(&format!("n_{}", status.as_str()), -count);
        }
        e.add("attempts", -tally.attempts);
        e.add("talk_seconds", -tally.talk_seconds);
        e.add("in_flight", -tally.in_flight);
        for (outcome, count) in &tally.outcomes {
            e.add(&format!("o_{}", outcome.as_str()), -count);
        }
        e.add(ERASED_COUNT, 1);
        e
    }

    /// The lead's calls out of the campaign's hourly items (those that exist: an hour item is
    /// written with the call that starts it, so one missing means nothing to take out). The
    /// lead's hours are at most its attempts (12), so they come in one batch read.
    async fn hours_without(
        &self,
        campaign: &CampaignRef,
        stored: &Lead,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut timeline = Timeline::default();
        timeline.add(&stored.state);
        let hours = timeline.into_hours();
        if hours.is_empty() {
            return Ok(Vec::new());
        }
        // Only the lead's own hours (at most one per attempt), read by key, keys only.
        let pk = keys::campaign_pk(campaign);
        let mut request = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
            .consistent_read(true)
            .projection_expression("sk");
        for hour in &hours {
            request = request.keys(std::collections::HashMap::from([
                (keys::PK.to_owned(), s(pk.clone())),
                (keys::SK.to_owned(), s(keys::hour_sk(hour.hour))),
            ]));
        }
        let request = request.build().map_err(|e| corrupt("erasure", e))?;
        let stored_hours: std::collections::HashSet<String> = (self.batch_get(request).await?)
            .iter()
            .filter_map(|item| item.get(keys::SK).and_then(|v| v.as_s().ok()).cloned())
            .collect();
        hours
            .into_iter()
            .filter(|hour| stored_hours.contains(&keys::hour_sk(hour.hour)))
            .map(|hour| {
                let mut e = Expr::default();
                e.add("started", -hour.started);
                e.add("connected", -hour.connected);
                e.add("talk_seconds", -hour.talk_seconds);
                e.add("answered", -hour.answered);
                e.add("abandoned", -hour.abandoned);
                e.conditions.push("attribute_exists(pk)".into());
                let update = e.update(
                    &self.table,
                    keys::campaign_pk(campaign),
                    keys::hour_sk(hour.hour),
                )?;
                Ok(TransactWriteItem::builder().update(update).build())
            })
            .collect()
    }
}

#[async_trait]
impl Erasures for DynamoStore {
    async fn put_erasure(&self, record: &ErasureRecord) -> Result<(), StoreError> {
        let item = serde_dynamo::to_item(ErasureItem {
            pk: keys::tenant_pk(&record.tenant),
            sk: keys::erasure_sk(&record.id),
            kind: "erasure".into(),
            record: record.clone(),
        })
        .map_err(|e| corrupt(record.id.as_str(), e))?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }

    async fn get_erasure(
        &self,
        tenant: &TenantId,
        id: &ErasureId,
    ) -> Result<Option<ErasureRecord>, StoreError> {
        let item = self
            .consistent_item(keys::tenant_pk(tenant), keys::erasure_sk(id))
            .await?;
        decode_record(item, id.as_str(), |i: ErasureItem| i.record)
    }

    async fn forget_number(
        &self,
        tenant: &TenantId,
        number: &E164,
        marker: &str,
    ) -> Result<NumberForgotten, StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .item(keys::PK, s(keys::erased_pk(tenant)))
            .item(keys::SK, s(marker))
            .item("kind", s("erased_number"))
            .send()
            .await
            .map_err(aws)?;
        let dnc = (keys::dnc_pk(tenant), keys::dnc_sk(number));
        let ledger = (
            keys::number_pk(tenant, number),
            keys::NUMBER_CALLS_SK.to_owned(),
        );
        let dnc_entry = self.exists(dnc.0.clone(), dnc.1.clone()).await?;
        let call_ledger = self.exists(ledger.0.clone(), ledger.1.clone()).await?;
        let log = self.removals_naming(tenant, number).await?;
        let dnc_log_entries = u32::try_from(log.len()).unwrap_or(u32::MAX);
        let mut deletes = log;
        deletes.extend(dnc_entry.then_some(dnc));
        deletes.extend(call_ledger.then_some(ledger));
        self.delete_keys(deletes).await?;
        Ok(NumberForgotten {
            dnc_entry,
            dnc_log_entries,
            call_ledger,
        })
    }

    async fn erase_lead(&self, lead: &LeadRef, stored: &Lead) -> Result<(), WriteError> {
        let (pk, sk) = keys::lead_key(lead);
        let delete = Delete::builder()
            .table_name(&self.table)
            .key(keys::PK, s(pk))
            .key(keys::SK, s(sk))
            .condition_expression("#v = :v")
            .expression_attribute_names("#v", "version")
            .expression_attribute_values(":v", super::n(stored.state.version))
            .build()
            .map_err(|e| corrupt("erasure", e))?;
        let stats = Self::stats_without(stored).update(
            &self.table,
            keys::campaign_pk(&lead.campaign),
            keys::STATS_SK.into(),
        )?;
        let mut items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().update(stats).build(),
        ];
        items.extend(self.hours_without(&lead.campaign, stored).await?);
        // Its attempt records: every attempt's key (one never finished has none to delete).
        for attempt in 1..=stored.state.attempts {
            let (pk, sk) = keys::record_key(lead, attempt);
            let delete = Delete::builder()
                .table_name(&self.table)
                .key(keys::PK, s(pk))
                .key(keys::SK, s(sk))
                .build()
                .map_err(|e| corrupt("erasure", e))?;
            items.push(TransactWriteItem::builder().delete(delete).build());
        }
        let line = stored
            .state
            .call
            .as_ref()
            .and_then(|c| c.account_slot.as_ref());
        if let Some(account) = line {
            let mut e = Expr::default();
            e.add("n", -1);
            let update = e.update(
                &self.table,
                keys::account_lines_pk(account),
                keys::ACCOUNT_LINES_SK.into(),
            )?;
            items.push(TransactWriteItem::builder().update(update).build());
        }
        self.transact_or(items, Refusal::Stale).await
    }

    async fn exports_of(&self, campaign: &CampaignRef) -> Result<Vec<ExportRecord>, StoreError> {
        let read = PrefixRead {
            consistent: true,
            ..PrefixRead::default()
        };
        let items = self
            .items_with_prefix(keys::campaign_pk(campaign), "EXPORT#", read)
            .await?;
        decode_records(Some(items), "exports", |i: super::results::ExportItem| {
            i.record
        })
    }
}

#[async_trait]
impl Retention for DynamoStore {
    async fn expire_leads(
        &self,
        campaign: &CampaignRef,
        leads: &[(LeadId, u8)],
        at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        for chunk in leads.chunks(EXPIRY_WRITES_AT_ONCE) {
            let mut writes = Vec::with_capacity(chunk.len());
            for (lead, attempts) in chunk {
                let lead = LeadRef {
                    campaign: campaign.clone(),
                    lead: lead.clone(),
                };
                writes.push(self.expire_lead(lead, *attempts, at));
            }
            for written in futures::future::join_all(writes).await {
                written?;
            }
        }
        Ok(())
    }

    async fn set_personal_data_until(
        &self,
        campaign: &CampaignRef,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let mut e = Expr::default();
        match at {
            Some(at) => e.set("personal_data_until", s(at.to_rfc3339())),
            None => {
                let name = e.name("personal_data_until");
                e.remove.push(name);
            }
        }
        e.conditions.push("attribute_exists(pk)".into());
        let update = e.update(
            &self.table,
            keys::tenant_pk(&campaign.tenant),
            keys::campaign_sk(&campaign.campaign),
        )?;
        self.update_if_there(update).await
    }
}
