//! Leads: conditional insert (dedupe) and reads here; the due index in [`due`], transition
//! writes in [`transition`], paged listing in [`list`].

mod caller_use;
pub(crate) use caller_use::CALLS as CALLER_CALLS;
mod due;
mod list;
mod number_calls;
pub(crate) mod records;
#[cfg(feature = "test-support")]
mod seed;
pub(crate) mod transition;

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValuesOnConditionCheckFailure};
use domain::ids::{CampaignRef, LeadId, LeadRef};
use domain::lead::{Contact, DueKind, ImportSource, Lead, LeadState};
use domain::status::LeadStatus;
use futures::{StreamExt, TryStreamExt};
use ports::store::{AttemptRecords, InsertOutcome, LeadCursor, LeadWrite, Leads, RecordsWanted};
use serde::{Deserialize, Serialize};

use super::keys;
use super::quarantine::{QUARANTINED, Unreadable};
use super::{DynamoStore, StoreError, WriteError, aws, corrupt, n, s};
use ports::store::LEAD_SHARDS;

// A lead as stored: its keys; `doc` (who to call and where the lead came from: fixed at
// import) and `state` as compact JSON documents (built and read with serde_json: far fewer
// allocations than nested DynamoDB maps, and smaller items); and, at the top level, what
// conditions and indexes need: `version`, `status`, the due index's `due_pk`/`due_at` (only
// while not final) and the by-status index's `status_pk`/`status_sk` (the lead id).

fn due_attributes(c: &CampaignRef, lead: &LeadId, state: &LeadState) -> Option<(String, i64)> {
    state
        .due()
        .map(|(kind, at)| (keys::due_pk(c, kind, lead), at.timestamp_millis()))
}

fn json<T: Serialize>(key: &LeadId, value: &T) -> Result<AttributeValue, StoreError> {
    serde_json::to_string(value)
        .map(AttributeValue::S)
        .map_err(|e| corrupt(key, e))
}

/// The fixed part of a lead.
#[derive(Serialize, Deserialize)]
struct LeadDoc<C, S> {
    contact: C,
    source: S,
}

/// Builds lead items for one campaign, reusing what repeats from lead to lead: the shard keys,
/// and the state document (every lead of an import starts in the same state).
#[derive(Debug)]
pub struct LeadItemBuilder {
    lead_pks: Vec<String>,
    due_pks: Vec<String>,
    status_pks: Vec<(LeadStatus, Vec<String>)>,
    campaign: CampaignRef,
    last_state: Option<(LeadState, String)>,
}

impl LeadItemBuilder {
    /// A builder for `campaign`'s leads.
    pub fn new(campaign: &CampaignRef) -> Self {
        let shards = 0..LEAD_SHARDS;
        Self {
            lead_pks: shards.clone().map(|s| keys::lead_pk(campaign, s)).collect(),
            due_pks: shards
                .clone()
                .map(|s| keys::due_shard_pk(campaign, DueKind::Dial, s))
                .collect(),
            status_pks: LeadStatus::ALL
                .iter()
                .map(|st| {
                    (
                        *st,
                        shards
                            .clone()
                            .map(|s| keys::status_pk(campaign, *st, s))
                            .collect(),
                    )
                })
                .collect(),
            campaign: campaign.clone(),
            last_state: None,
        }
    }

    /// The item of a new lead (what [`DynamoStore::insert_lead`] writes).
    pub fn item(&mut self, lead: &Lead) -> Result<HashMap<String, AttributeValue>, StoreError> {
        let shard = usize::from(lead.id.shard(LEAD_SHARDS));
        let state = match &self.last_state {
            Some((state, json)) if *state == lead.state => AttributeValue::S(json.clone()),
            _ => {
                let value = json(&lead.id, &lead.state)?;
                if let AttributeValue::S(text) = &value {
                    self.last_state = Some((lead.state.clone(), text.clone()));
                }
                value
            }
        };
        let mut item = HashMap::with_capacity(10);
        item.insert(keys::PK.to_owned(), s(self.lead_pks[shard].clone()));
        item.insert(keys::SK.to_owned(), s(lead.id.as_str()));
        item.insert(
            "doc".to_owned(),
            json(
                &lead.id,
                &LeadDoc {
                    contact: &lead.contact,
                    source: &lead.source,
                },
            )?,
        );
        item.insert("state".to_owned(), state);
        item.insert("version".to_owned(), n(lead.state.version));
        item.insert("status".to_owned(), s(lead.state.status.as_str()));
        match lead.state.due() {
            Some((DueKind::Dial, at)) => {
                item.insert(keys::DUE_PK.to_owned(), s(self.due_pks[shard].clone()));
                item.insert(keys::DUE_AT.to_owned(), n(at.timestamp_millis()));
            }
            Some((kind, at)) => {
                item.insert(
                    keys::DUE_PK.to_owned(),
                    s(keys::due_pk(&self.campaign, kind, &lead.id)),
                );
                item.insert(keys::DUE_AT.to_owned(), n(at.timestamp_millis()));
            }
            None => {}
        }
        let status_pk = self
            .status_pks
            .iter()
            .find(|(st, _)| *st == lead.state.status)
            .map(|(_, pks)| pks[shard].clone())
            .unwrap_or_default();
        item.insert(keys::STATUS_PK.to_owned(), s(status_pk));
        item.insert(keys::STATUS_SK.to_owned(), s(lead.id.as_str()));
        Ok(item)
    }
}

/// The DynamoDB item of a new lead (what [`DynamoStore::insert_lead`] writes).
pub fn lead_item(
    campaign: &CampaignRef,
    lead: &Lead,
) -> Result<HashMap<String, AttributeValue>, StoreError> {
    LeadItemBuilder::new(campaign).item(lead)
}

/// Reads a lead item back; an item that does not decode (or was quarantined before) is
/// [`Unreadable`], for the caller to set aside rather than fail on.
fn read_lead(item: HashMap<String, AttributeValue>) -> Result<Lead, Unreadable> {
    if item.contains_key(QUARANTINED) {
        return Err(Unreadable::new(&item, "quarantined"));
    }
    let text = |name: &str| {
        item.get(name)
            .and_then(|v| v.as_s().ok())
            .ok_or_else(|| format!("no {name}"))
    };
    let decoded = (|| -> Result<Lead, String> {
        let id = LeadId::parse(text(keys::SK)?.clone()).map_err(|e| e.to_string())?;
        let doc: LeadDoc<Contact, ImportSource> =
            serde_json::from_str(text("doc")?).map_err(|e| e.to_string())?;
        let state: LeadState = serde_json::from_str(text("state")?).map_err(|e| e.to_string())?;
        Ok(Lead {
            id,
            contact: doc.contact,
            source: doc.source,
            state,
        })
    })();
    decoded.map_err(|reason| Unreadable::new(&item, reason))
}

impl DynamoStore {
    /// The new lead, then the attempt records its state carries (an import's carry none; a
    /// lead seeded with a history does), as its transitions would write them.
    async fn put_new_lead_with_records(
        &self,
        campaign: &CampaignRef,
        item: HashMap<String, AttributeValue>,
        lead: &Lead,
    ) -> Result<InsertOutcome, StoreError> {
        let outcome = self.put_new_lead(campaign, item).await?;
        if matches!(outcome, InsertOutcome::Inserted) {
            let key = LeadRef {
                campaign: campaign.clone(),
                lead: lead.id.clone(),
            };
            for record in &lead.state.log {
                let update = records::record_update(&self.table, &key, record)?;
                self.update_item_of(update).send().await.map_err(aws)?;
            }
        }
        Ok(outcome)
    }

    async fn put_new_lead(
        &self,
        campaign: &CampaignRef,
        item: HashMap<String, AttributeValue>,
    ) -> Result<InsertOutcome, StoreError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(InsertOutcome::Inserted),
            Err(err) => {
                if let Some(failed) = err.as_service_error().and_then(|e| match e {
                    aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(f) => Some(f),
                    _ => None,
                }) {
                    let existing = failed.item().cloned().unwrap_or_default();
                    return match read_lead(existing) {
                        Ok(lead) => Ok(InsertOutcome::Exists { source: lead.source }),
                        Err(unreadable) => {
                            self.quarantine_lead(campaign, &unreadable).await?;
                            Ok(InsertOutcome::ExistsUnreadable)
                        }
                    };
                }
                Err(aws(err))
            }
        }
    }
}

#[async_trait]
impl Leads for DynamoStore {
    /// Reads a lead (strongly consistent). A lead whose item does not decode is quarantined
    /// and reads as absent: nobody dials, applies an event to, or shows what cannot be read.
    async fn get_lead(&self, lead: &LeadRef) -> Result<Option<Lead>, StoreError> {
        let (pk, sk) = keys::lead_key(lead);
        let Some(item) = self.consistent_item(pk, sk).await? else {
            return Ok(None);
        };
        match read_lead(item) {
            Ok(lead) => Ok(Some(lead)),
            Err(unreadable) => {
                self.quarantine_lead(&lead.campaign, &unreadable).await?;
                Ok(None)
            }
        }
    }

    /// A page of a campaign's leads, optionally with one status, in (shard, id) order.
    /// Reads only that page's items (the by-status index serves the filtered case).
    async fn list_leads(
        &self,
        campaign: &CampaignRef,
        status: Option<LeadStatus>,
        cursor: Option<LeadCursor>,
        limit: usize,
    ) -> Result<(Vec<Lead>, Option<LeadCursor>), StoreError> {
        self.list_page(campaign, status, cursor, limit).await
    }

    /// Every lead of a campaign with its attempt records (tests, reconciliation, export):
    /// pages through all shards, attaching each page's records.
    async fn all_leads(&self, campaign: &CampaignRef) -> Result<Vec<Lead>, StoreError> {
        let mut all = Vec::new();
        let mut cursor = None;
        loop {
            let (mut page, next) = self.list_page(campaign, None, cursor, 500).await?;
            self.attach_records(campaign, &mut page, RecordsWanted::All)
                .await?;
            all.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok(all),
            }
        }
    }

    /// Builds the items with one [`LeadItemBuilder`] (the shard keys and the starting state's
    /// document are made once) and writes them with conditional puts, `concurrency` at a time.
    async fn insert_leads(
        &self,
        campaign: &CampaignRef,
        leads: &[Lead],
        concurrency: usize,
    ) -> Result<Vec<InsertOutcome>, StoreError> {
        let mut builder = LeadItemBuilder::new(campaign);
        let items = leads
            .iter()
            .map(|lead| builder.item(lead))
            .collect::<Result<Vec<_>, _>>()?;
        futures::stream::iter(
            (items.into_iter().enumerate())
                .map(|(i, item)| self.put_new_lead_with_records(campaign, item, &leads[i])),
        )
        .buffered(concurrency.max(1))
        .try_collect()
        .await
    }

    /// Writes a lead transition with its counters and guards, all or nothing (the
    /// transaction is assembled in [`transition`]).
    async fn number_calls(
        &self,
        tenant: &domain::ids::TenantId,
        number: &domain::phone::E164,
    ) -> Result<ports::store::NumberCalls, StoreError> {
        self.read_number_calls(tenant, number).await
    }

    async fn write_transition(&self, write: LeadWrite<'_>) -> Result<(), WriteError> {
        self.transition(write).await
    }
}
