//! Campaign configuration and status (`T#{tenant}` / `CAMPAIGN#{id}`), created together with
//! the campaign's counters item.

use aws_sdk_dynamodb::types::{Put, TransactWriteItem};
use chrono::{DateTime, Utc};
use domain::config::CampaignSpec;
use domain::ids::{CampaignId, CampaignRef, TenantId};
use domain::status::CampaignStatus;
use serde::{Deserialize, Serialize};

use super::keys;
use super::{DynamoStore, Refusal, StoreError, WriteError, aws, s};

/// A campaign as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRecord {
    /// Owner.
    pub tenant: TenantId,
    /// Id.
    pub id: CampaignId,
    /// Lifecycle status.
    pub status: CampaignStatus,
    /// Bumped by every configuration change; dialers cache configuration by it.
    pub config_version: u64,
    /// The normalized configuration.
    pub spec: CampaignSpec,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl CampaignRecord {
    /// The campaign's reference.
    pub fn reference(&self) -> CampaignRef {
        CampaignRef {
            tenant: self.tenant.clone(),
            campaign: self.id.clone(),
        }
    }
}

/// A campaign to create (in Draft).
#[derive(Debug, Clone)]
pub struct NewCampaign {
    /// Owner and id.
    pub campaign: CampaignRef,
    /// Normalized configuration.
    pub spec: CampaignSpec,
    /// Creation time.
    pub now: DateTime<Utc>,
}

#[derive(Serialize, Deserialize)]
struct CampaignItem {
    pk: String,
    sk: String,
    kind: String,
    #[serde(flatten)]
    record: CampaignRecord,
}

impl DynamoStore {
    /// Creates a Draft campaign and its zeroed counters, refusing to overwrite an existing id.
    pub async fn create_campaign(&self, new: NewCampaign) -> Result<CampaignRecord, WriteError> {
        let c = &new.campaign;
        let record = CampaignRecord {
            tenant: c.tenant.clone(),
            id: c.campaign.clone(),
            status: CampaignStatus::Draft,
            config_version: 1,
            spec: new.spec,
            created_at: new.now,
            updated_at: new.now,
        };
        let item = CampaignItem {
            pk: keys::tenant_pk(&c.tenant),
            sk: keys::campaign_sk(&c.campaign),
            kind: "campaign".into(),
            record: record.clone(),
        };
        let item = serde_dynamo::to_item(item).map_err(|e| StoreError::Corrupt {
            key: c.to_string(),
            reason: e.to_string(),
        })?;
        let meta = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Corrupt {
                key: c.to_string(),
                reason: e.to_string(),
            })?;
        let stats = Put::builder()
            .table_name(&self.table)
            .item(keys::PK, s(keys::campaign_pk(c)))
            .item(keys::SK, s(keys::STATS_SK))
            .item("kind", s("stats"))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| StoreError::Corrupt {
                key: c.to_string(),
                reason: e.to_string(),
            })?;
        let result = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(meta).build())
            .transact_items(TransactWriteItem::builder().put(stats).build())
            .send()
            .await;
        match result {
            Ok(_) => Ok(record),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_transaction_canceled_exception()) =>
            {
                Err(WriteError::Refused(Refusal::Stale))
            }
            Err(err) => Err(WriteError::Store(aws(err))),
        }
    }

    /// Reads a campaign of a tenant (strongly consistent); another tenant's id finds nothing.
    pub async fn get_campaign(
        &self,
        c: &CampaignRef,
    ) -> Result<Option<CampaignRecord>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(&c.tenant)))
            .key(keys::SK, s(keys::campaign_sk(&c.campaign)))
            .consistent_read(true)
            .send()
            .await
            .map_err(aws)?;
        out.item
            .map(|item| {
                serde_dynamo::from_item::<_, CampaignItem>(item)
                    .map(|i| i.record)
                    .map_err(|e| StoreError::Corrupt {
                        key: c.to_string(),
                        reason: e.to_string(),
                    })
            })
            .transpose()
    }

    /// Moves a campaign from one status to another, refused if it is no longer in `from`.
    pub async fn set_campaign_status(
        &self,
        c: &CampaignRef,
        from: CampaignStatus,
        to: CampaignStatus,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(&c.tenant)))
            .key(keys::SK, s(keys::campaign_sk(&c.campaign)))
            .update_expression("SET #status = :to, updated_at = :now")
            .condition_expression("#status = :from")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":to", s(to.as_str()))
            .expression_attribute_values(":from", s(from.as_str()))
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .send()
            .await;
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
}
