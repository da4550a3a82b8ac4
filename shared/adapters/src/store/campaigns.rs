//! Campaign configuration and status (`T#{tenant}` / `CAMPAIGN#{id}`), created together with
//! the campaign's counters item.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{Put, TransactWriteItem, Update};
use chrono::{DateTime, Utc};
use domain::ids::{CampaignId, CampaignRef, TenantId};
use domain::status::CampaignStatus;
use ports::store::{CampaignStatuses, Campaigns};
use serde::{Deserialize, Serialize};

use super::keys;
use super::quarantine::{Owner, Unreadable};
use super::{CampaignRecord, NewCampaign};
use super::{
    DynamoStore, Refusal, StoreError, WriteError, aws, conditional, corrupt, decode_record, n, s,
};

#[derive(Serialize, Deserialize)]
pub(super) struct CampaignItem {
    pk: String,
    sk: String,
    kind: String,
    #[serde(flatten)]
    pub(super) record: CampaignRecord,
}

#[async_trait]
impl Campaigns for DynamoStore {
    /// Creates a Draft campaign and its zeroed counters, refusing to overwrite an existing id.
    async fn create_campaign(&self, new: NewCampaign) -> Result<CampaignRecord, WriteError> {
        let c = &new.campaign;
        let record = CampaignRecord {
            tenant: c.tenant.clone(),
            id: c.campaign.clone(),
            status: CampaignStatus::Draft,
            config_version: 1,
            config: std::sync::Arc::new(new.config),
            lead_ids: domain::ids::LeadIdScheme::Keyed,
            created_at: new.now,
            updated_at: new.now,
            active_since: None,
            pause_reason: None,
            personal_data_until: None,
        };
        let item = CampaignItem {
            pk: keys::tenant_pk(&c.tenant),
            sk: keys::campaign_sk(&c.campaign),
            kind: "campaign".into(),
            record: record.clone(),
        };
        let item = serde_dynamo::to_item(item).map_err(|e| corrupt(c, e))?;
        let meta = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| corrupt(c, e))?;
        let stats = Put::builder()
            .table_name(&self.table)
            .item(keys::PK, s(keys::campaign_pk(c)))
            .item(keys::SK, s(keys::STATS_SK))
            .item("kind", s("stats"))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| corrupt(c, e))?;
        let items = vec![
            TransactWriteItem::builder().put(meta).build(),
            TransactWriteItem::builder().put(stats).build(),
        ];
        self.transact_or(items, Refusal::Stale).await?;
        Ok(record)
    }

    /// Reads a campaign of a tenant (strongly consistent); another tenant's id finds nothing.
    async fn get_campaign(&self, c: &CampaignRef) -> Result<Option<CampaignRecord>, StoreError> {
        decode_record(
            self.consistent_item(keys::tenant_pk(&c.tenant), keys::campaign_sk(&c.campaign))
                .await?,
            &c.to_string(),
            |i: CampaignItem| i.record,
        )
    }

    /// A page of a tenant's campaigns (newest id last), optionally of one status. `after` is the
    /// last campaign id of the previous page.
    async fn list_campaigns(
        &self,
        tenant: &TenantId,
        status: Option<CampaignStatus>,
        after: Option<&CampaignId>,
        limit: usize,
    ) -> Result<(Vec<CampaignRecord>, Option<CampaignId>), StoreError> {
        let mut found = Vec::new();
        let mut start = after.map(|id| {
            std::collections::HashMap::from([
                (keys::PK.to_owned(), s(keys::tenant_pk(tenant))),
                (keys::SK.to_owned(), s(keys::campaign_sk(id))),
            ])
        });
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
                .expression_attribute_values(":pk", s(keys::tenant_pk(tenant)))
                .expression_attribute_values(":prefix", s("CAMPAIGN#"))
                .set_exclusive_start_key(start)
                .limit(i32::try_from(limit).unwrap_or(i32::MAX));
            if let Some(status) = status {
                request = request
                    .filter_expression("#status = :status")
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":status", s(status.as_str()));
            }
            let out = request.send().await.map_err(aws)?;
            for item in out.items.unwrap_or_default() {
                let record = match serde_dynamo::from_item::<_, CampaignItem>(item.clone()) {
                    Ok(decoded) => decoded.record,
                    Err(err) => {
                        let unreadable = Unreadable::new(&item, err);
                        self.set_aside(&Owner::tenant(tenant), "campaign", &unreadable)
                            .await?;
                        continue;
                    }
                };
                found.push(record);
                if found.len() == limit {
                    let next = found.last().map(|r| r.id.clone());
                    return Ok((found, next));
                }
            }
            start = out.last_evaluated_key;
            if start.is_none() {
                return Ok((found, None));
            }
        }
    }

    /// Replaces a campaign's configuration, bumping its version, on the condition that it is
    /// still at `expected_version` and in Draft or Paused.
    async fn update_campaign_config(
        &self,
        c: &CampaignRef,
        expected_version: u64,
        config: &domain::config::CampaignConfig,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        let spec_value =
            serde_dynamo::to_attribute_value(config.spec()).map_err(|e| corrupt(c, e))?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(&c.tenant)))
            .key(keys::SK, s(keys::campaign_sk(&c.campaign)))
            .update_expression("SET spec = :spec, config_version = :next, updated_at = :now")
            .condition_expression("config_version = :v AND (#status = :draft OR #status = :paused)")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":spec", spec_value)
            .expression_attribute_values(":next", n(expected_version + 1))
            .expression_attribute_values(":v", n(expected_version))
            .expression_attribute_values(":draft", s(CampaignStatus::Draft.as_str()))
            .expression_attribute_values(":paused", s(CampaignStatus::Paused.as_str()))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .send()
            .await;
        conditional(result).map(|_| ())
    }

    /// Deletes a Draft campaign and its counters. Leads it may hold stay behind, unreachable
    /// (their keys name the deleted campaign).
    async fn delete_campaign(&self, c: &CampaignRef) -> Result<(), WriteError> {
        use aws_sdk_dynamodb::types::Delete;
        let meta = Delete::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(&c.tenant)))
            .key(keys::SK, s(keys::campaign_sk(&c.campaign)))
            .condition_expression("#status = :draft")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":draft", s(CampaignStatus::Draft.as_str()))
            .build()
            .map_err(|e| corrupt(c, e))?;
        let stats = Delete::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::campaign_pk(c)))
            .key(keys::SK, s(keys::STATS_SK))
            .build()
            .map_err(|e| corrupt(c, e))?;
        let items = vec![
            TransactWriteItem::builder().delete(meta).build(),
            TransactWriteItem::builder().delete(stats).build(),
        ];
        self.transact_or(items, Refusal::CampaignStatus).await
    }
}

#[async_trait]
impl CampaignStatuses for DynamoStore {
    /// Moves a campaign from one status to another, refused if it is no longer in `from`.
    ///
    /// When the move makes the campaign live (Draft -> Scheduled/Active) the tenant's live
    /// count goes up in the same transaction, on the condition that the plan allows one more;
    /// when it ends a live campaign (-> Completed/Cancelled) the count goes down. So the plan
    /// limit holds under any number of concurrent launches.
    async fn set_campaign_status(
        &self,
        c: &CampaignRef,
        from: CampaignStatus,
        to: CampaignStatus,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        self.move_status(c, from, to, now, None).await
    }

    async fn set_campaign_status_telling(
        &self,
        c: &CampaignRef,
        from: CampaignStatus,
        to: CampaignStatus,
        now: DateTime<Utc>,
        event: &domain::webhooks::Event,
    ) -> Result<(), WriteError> {
        self.move_status(c, from, to, now, Some(event)).await
    }

    async fn pause_with_reason(
        &self,
        c: &CampaignRef,
        active_since: Option<DateTime<Utc>>,
        reason: &domain::guardrails::PauseReason,
        event: Option<&domain::webhooks::Event>,
    ) -> Result<(), WriteError> {
        self.write_pause(c, active_since, reason, event).await
    }
}

impl DynamoStore {
    /// See [`CampaignStatuses::set_campaign_status`]; with `event`, the change's webhook event is
    /// recorded in the same transaction.
    async fn move_status(
        &self,
        c: &CampaignRef,
        from: CampaignStatus,
        to: CampaignStatus,
        now: DateTime<Utc>,
        event: Option<&domain::webhooks::Event>,
    ) -> Result<(), WriteError> {
        // Becoming Active starts the guardrails' window afresh and clears a guardrail's reason.
        let expression = if to == CampaignStatus::Active {
            "SET #status = :to, updated_at = :now, active_since = :now REMOVE pause_reason"
        } else {
            "SET #status = :to, updated_at = :now"
        };
        let status = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(&c.tenant)))
            .key(keys::SK, s(keys::campaign_sk(&c.campaign)))
            .update_expression(expression)
            .condition_expression("#status = :from")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":from", s(from.as_str()))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .build()
            .map_err(|e| corrupt(c, e))?;
        let told = event
            .map(|e| super::webhooks::event_put(&self.table, &c.tenant, e))
            .transpose()?;
        let live_change = i32::from(to.is_live()) - i32::from(from.is_live());
        match (live_change, told) {
            (0, None) => self.update_status(status).await,
            (0, Some(told)) => self.update_status_telling(status, told).await,
            (_, told) => {
                self.update_status_and_live_count(c, status, live_change, told)
                    .await
            }
        }
    }

    /// See [`CampaignStatuses::pause_with_reason`]: Active and Paused are both live, so the
    /// tenant's live count does not move.
    pub(super) async fn write_pause(
        &self,
        c: &CampaignRef,
        active_since: Option<DateTime<Utc>>,
        reason: &domain::guardrails::PauseReason,
        event: Option<&domain::webhooks::Event>,
    ) -> Result<(), WriteError> {
        let reason_value = serde_dynamo::to_attribute_value(reason).map_err(|e| corrupt(c, e))?;
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(&c.tenant)))
            .key(keys::SK, s(keys::campaign_sk(&c.campaign)))
            .update_expression("SET #status = :to, updated_at = :now, pause_reason = :reason")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":to", s(CampaignStatus::Paused.as_str()))
            .expression_attribute_values(":from", s(CampaignStatus::Active.as_str()))
            .expression_attribute_values(":now", s(reason.at.to_rfc3339()))
            .expression_attribute_values(":reason", reason_value);
        update = match active_since {
            Some(since) => update
                .condition_expression("#status = :from AND active_since = :since")
                .expression_attribute_values(":since", s(since.to_rfc3339())),
            None => update
                .condition_expression("#status = :from AND attribute_not_exists(active_since)"),
        };
        let update = update.build().map_err(|e| corrupt(c, e))?;
        match event {
            None => self.update_status(update).await,
            Some(e) => {
                let told = super::webhooks::event_put(&self.table, &c.tenant, e)?;
                self.update_status_telling(update, told).await
            }
        }
    }

    /// A status move (no live-count change) and its webhook event, in one transaction.
    async fn update_status_telling(
        &self,
        status: Update,
        told: TransactWriteItem,
    ) -> Result<(), WriteError> {
        let items = vec![TransactWriteItem::builder().update(status).build(), told];
        self.transact_or(items, Refusal::CampaignStatus).await
    }

    /// A move between two live (or two not-live) statuses: one conditional update.
    async fn update_status(&self, status: Update) -> Result<(), WriteError> {
        let result = self.update_item_of(status).send().await;
        match result {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(WriteError::Refused(Refusal::CampaignStatus))
            }
            Err(err) => Err(WriteError::Store(aws(err))),
        }
    }

    /// A move that makes the campaign live or ends it: the status and the tenant's live count
    /// in one transaction, the count conditional on the plan's limit when it goes up.
    async fn update_status_and_live_count(
        &self,
        c: &CampaignRef,
        status: Update,
        live_change: i32,
        told: Option<TransactWriteItem>,
    ) -> Result<(), WriteError> {
        let mut tenant = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(&c.tenant)))
            .key(keys::SK, s(keys::TENANT_SK))
            .update_expression("ADD live_campaigns :change")
            .expression_attribute_values(":change", n(live_change));
        tenant = if live_change > 0 {
            tenant.condition_expression(
                "attribute_exists(pk) AND (attribute_not_exists(live_limit) OR live_campaigns < live_limit)",
            )
        } else {
            tenant.condition_expression("attribute_exists(pk)")
        };
        let tenant = tenant.build().map_err(|e| corrupt(c, e))?;
        let mut items = vec![
            TransactWriteItem::builder().update(status).build(),
            TransactWriteItem::builder().update(tenant).build(),
        ];
        items.extend(told);
        let result = self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await;
        let err = match result {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        if let Some(aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(e)) =
            err.as_service_error()
        {
            let codes: Vec<Option<&str>> = e.cancellation_reasons().iter().map(|r| r.code()).collect();
            return Err(WriteError::Refused(match codes.as_slice() {
                [Some("ConditionalCheckFailed"), ..] => Refusal::CampaignStatus,
                [_, Some("ConditionalCheckFailed"), ..] => Refusal::PlanLimit,
                _ => Refusal::Conflict,
            }));
        }
        Err(WriteError::Store(aws(err)))
    }
}
