//! Quarantine: a stored item that no longer decodes blocks nothing.
//!
//! Every read that meets such an item (a list page, a tick's due scan, a dialer's or a webhook's
//! lead read, an import's duplicate check) sets it aside instead of failing: it records a
//! [`QuarantinedItem`] under the owner's partition (the campaign's for leads and imports, the
//! tenant's for campaigns, agents and DNC entries) with a conditional put, so the item is
//! logged once, however often it is met, and listed by [`DynamoStore::quarantined`].
//!
//! A lead is also taken out of the engine's way in the same transaction: its due-index and
//! by-status keys are removed (no tick reads it again), it is marked `quarantined`, and the
//! campaign's counters move it from the status it was counted in to `quarantined`, releasing its
//! concurrency slot if it was Calling. The counters then still equal what the readable leads say,
//! and a campaign whose other leads are done completes. The item's data is left as it was, for
//! repair.
//!
//! Which status the lead was counted in is read from its by-status index key (`status_pk`),
//! not from the plain `status` attribute: a damaged item is one whose data attributes were
//! rewritten (a bad migration overwrites `state` and `status`), while the index key is written
//! only by the store's own transitions, each in the same transaction that moves the counters.
//! Only when that key is missing or unreadable is `status` trusted; when neither names a status
//! the lead leaves no status count here, and the tick has its counters reconciled from the
//! readable leads once it is the only thing holding the campaign open (see
//! `engine::tick::set_aside`).

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use domain::ids::CampaignRef;
use domain::status::LeadStatus;
use ports::store::{Quarantine, QuarantineOwner, QuarantinedItem};

use super::keys;
use super::{DynamoStore, PrefixRead, StoreError, aws, corrupt, n, s};

/// Attribute set on a quarantined lead (its reason); such a lead is skipped without a write.
pub(crate) const QUARANTINED: &str = "quarantined";
/// Counter of quarantined leads on the campaign's `STATS` item.
pub(crate) const QUARANTINED_COUNT: &str = "quarantined";
const PREFIX: &str = "QUARANTINE#";

/// Where a set-aside item is listed: the partition of its owner.
#[derive(Debug, Clone)]
pub(crate) struct Owner(pub(crate) String);

impl Owner {
    pub(crate) fn campaign(c: &CampaignRef) -> Self {
        Self(keys::campaign_pk(c))
    }

    pub(crate) fn tenant(t: &domain::ids::TenantId) -> Self {
        Self(keys::tenant_pk(t))
    }
}

/// A raw item and why it does not decode.
#[derive(Debug)]
pub(crate) struct Unreadable {
    pub(crate) pk: String,
    pub(crate) sk: String,
    pub(crate) reason: String,
    /// The status a lead was counted in, if its item still tells (see the module docs).
    pub(crate) status: Option<LeadStatus>,
    pub(crate) version: Option<String>,
    /// The provider account whose line the lead's live call holds, if its item still tells.
    pub(crate) account_slot: Option<Box<str>>,
    /// Already quarantined: nothing to write.
    pub(crate) already: bool,
}

impl Unreadable {
    pub(crate) fn new(item: &HashMap<String, AttributeValue>, reason: impl ToString) -> Self {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let mut reason = reason.to_string();
        reason.truncate(reason.floor_char_boundary(300));
        Self {
            pk: text(keys::PK).unwrap_or_default(),
            sk: text(keys::SK).unwrap_or_default(),
            reason,
            status: counted_status(item),
            version: item.get("version").and_then(|v| v.as_n().ok()).cloned(),
            account_slot: text(keys::ACCOUNT_SLOT).map(String::into_boxed_str),
            already: item.contains_key(QUARANTINED),
        }
    }

    fn key(&self) -> String {
        format!("{}/{}", self.pk, self.sk)
    }
}

/// The status a lead item was counted in: the one its by-status key names (written only by
/// the store's transitions, with the counters), else its `status` attribute.
fn counted_status(item: &HashMap<String, AttributeValue>) -> Option<LeadStatus> {
    let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok());
    text(keys::STATUS_PK)
        .and_then(|pk| keys::status_of_status_pk(pk))
        .or_else(|| text("status").and_then(|s| LeadStatus::parse(s)))
}

impl DynamoStore {
    /// Records an unreadable item under its owner, once; logs it the first time.
    pub(crate) async fn set_aside(
        &self,
        owner: &Owner,
        kind: &str,
        item: &Unreadable,
    ) -> Result<(), StoreError> {
        let put = self.record_put(owner, kind, item)?;
        let result = self
            .client
            .put_item()
            .table_name(put.table_name())
            .set_item(Some(put.item().clone()))
            .set_condition_expression(put.condition_expression().map(str::to_owned))
            .send()
            .await;
        match super::conditional(result) {
            Ok(_) => {
                tracing::warn!(kind, key = %item.key(), reason = %item.reason, "stored item set aside: it does not decode");
                Ok(())
            }
            Err(super::WriteError::Refused(_)) => Ok(()),
            Err(super::WriteError::Store(err)) => Err(err),
        }
    }

    /// The line a live call holds on its provider account, given back with its campaign slot.
    fn line_given_back(&self, item: &Unreadable) -> Result<Option<Update>, StoreError> {
        let (Some(account), Some(LeadStatus::Calling)) = (&item.account_slot, item.status) else {
            return Ok(None);
        };
        let update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::account_lines_pk(account)))
            .key(keys::SK, s(keys::ACCOUNT_LINES_SK))
            .update_expression("ADD #n :minus")
            .expression_attribute_names("#n", "n")
            .expression_attribute_values(":minus", n(-1))
            .build()
            .map_err(|e| corrupt("quarantine", e))?;
        Ok(Some(update))
    }

    fn record_put(&self, owner: &Owner, kind: &str, item: &Unreadable) -> Result<Put, StoreError> {
        Put::builder()
            .table_name(&self.table)
            .item(keys::PK, s(owner.0.clone()))
            .item(keys::SK, s(format!("{PREFIX}{}", item.key())))
            .item("kind", s(kind))
            .item("key", s(item.key()))
            .item("reason", s(item.reason.clone()))
            .item(
                "found_at",
                s(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
            )
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| corrupt("quarantine record", e))
    }

    /// Quarantines an unreadable lead of `campaign` (see the module docs). A lead already
    /// quarantined, or changed since it was read, is left alone: nothing is written twice.
    pub(crate) async fn quarantine_lead(
        &self,
        campaign: &CampaignRef,
        item: &Unreadable,
    ) -> Result<(), StoreError> {
        if item.already {
            return Ok(());
        }
        let mut lead = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(item.pk.clone()))
            .key(keys::SK, s(item.sk.clone()))
            .update_expression("SET #q = :reason REMOVE #due_pk, #due_at, #status_pk")
            .expression_attribute_names("#q", QUARANTINED)
            .expression_attribute_names("#due_pk", keys::DUE_PK)
            .expression_attribute_names("#due_at", keys::DUE_AT)
            .expression_attribute_names("#status_pk", keys::STATUS_PK)
            .expression_attribute_values(":reason", s(item.reason.clone()));
        lead = match &item.version {
            Some(version) => lead
                .condition_expression("attribute_not_exists(#q) AND #v = :v")
                .expression_attribute_names("#v", "version")
                .expression_attribute_values(":v", AttributeValue::N(version.clone())),
            None => lead.condition_expression("attribute_exists(pk) AND attribute_not_exists(#q)"),
        };
        let lead = lead.build().map_err(|e| corrupt("quarantine", e))?;
        let mut stats = String::from("ADD #quarantined :one");
        let mut names = HashMap::from([("#quarantined".to_owned(), QUARANTINED_COUNT.to_owned())]);
        let mut values = HashMap::from([(":one".to_owned(), n(1))]);
        if let Some(status) = item.status {
            stats.push_str(", #from :minus");
            names.insert("#from".into(), format!("n_{}", status.as_str()));
            values.insert(":minus".into(), n(-1));
            if status == LeadStatus::Calling {
                stats.push_str(", #in_flight :minus");
                names.insert("#in_flight".into(), "in_flight".into());
            }
        }
        let stats = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::campaign_pk(campaign)))
            .key(keys::SK, s(keys::STATS_SK))
            .update_expression(stats)
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(|e| corrupt("quarantine", e))?;
        let record = self.record_put(&Owner::campaign(campaign), "lead", item)?;
        let line = self.line_given_back(item)?;
        let mut items = vec![
            TransactWriteItem::builder().update(lead).build(),
            TransactWriteItem::builder().update(stats).build(),
            TransactWriteItem::builder().put(record).build(),
        ];
        items.extend(line.map(|u| TransactWriteItem::builder().update(u).build()));
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        match result {
            Ok(_) => {
                tracing::warn!(campaign = %campaign, key = %item.key(), reason = %item.reason, "lead quarantined: its stored item does not decode");
                Ok(())
            }
            // Already quarantined, or changed since read (whoever changed it can read it).
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_transaction_canceled_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(aws(err)),
        }
    }
}

#[async_trait]
impl Quarantine for DynamoStore {
    /// The items set aside under a campaign (`Some`) or a tenant's own items, oldest key first.
    async fn quarantined(
        &self,
        owner: QuarantineOwner<'_>,
    ) -> Result<Vec<QuarantinedItem>, StoreError> {
        let pk = match owner {
            QuarantineOwner::Campaign(c) => keys::campaign_pk(c),
            QuarantineOwner::Tenant(t) => keys::tenant_pk(t),
        };
        let items = self
            .items_with_prefix(pk, PREFIX, PrefixRead::default())
            .await?;
        Ok(items
            .iter()
            .map(|item| {
                let text = |name: &str| {
                    item.get(name)
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default()
                };
                QuarantinedItem {
                    kind: text("kind"),
                    key: text("key"),
                    reason: text("reason"),
                    found_at: text("found_at"),
                }
            })
            .collect())
    }
}
