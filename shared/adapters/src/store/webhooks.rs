//! Outbound webhooks as stored.
//!
//! | item | key |
//! |---|---|
//! | an endpoint (spec, secret) | `pk = T#{tenant}`, `sk = HOOK#{endpoint}` (the tenant item counts them: `webhook_endpoints`) |
//! | an event in the outbox | `pk = EV#{tenant}`, `sk = {event id}`; on the due index (`WQ#{shard}`) until fanned out |
//! | a delivery (the endpoint's log) | `pk = WD#{tenant}#{endpoint}`, `sk = {event id}`; on the due index while pending |
//!
//! Events and deliveries expire after 30 days (TTL). An event written in a lead's transaction is
//! [`event_put`]; the queue message sent after that transaction is only the fast path: the
//! sweep finds any event or delivery whose time came on the due index.

use async_trait::async_trait;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use chrono::{DateTime, Duration, Utc};
use domain::ids::TenantId;
use domain::webhooks::{DeliveryStatus, EndpointSpec, Event, MAX_ENDPOINTS};
use ports::store::{
    DeliveryRecord, EndpointRecord, PreviousSecret, Refusal, StoreError, WebhookDeliveries,
    WebhookEndpoints, WebhookEvents, WebhookJob, WriteError,
};
use serde::{Deserialize, Serialize};

use super::{
    DynamoStore, PrefixRead, aws, conditional, corrupt, decode_record, decode_records, keys, n, s,
};

/// How long events and deliveries are kept.
const KEPT: Duration = Duration::days(30);
/// How long the queue's fast path has before the sweep takes a piece of work over.
const SWEEP_GRACE: Duration = Duration::minutes(2);
/// The tenant item's count of endpoints.
const ENDPOINT_COUNT: &str = "webhook_endpoints";

use keys::{delivery_pk, endpoint_sk, event_pk, webhook_queue_pk as queue_pk};

#[derive(Serialize, Deserialize)]
struct EndpointItem {
    pk: String,
    sk: String,
    kind: String,
    #[serde(flatten)]
    record: EndpointRecord,
}

#[derive(Serialize, Deserialize)]
struct DeliveryItem {
    pk: String,
    sk: String,
    kind: String,
    #[serde(flatten)]
    record: DeliveryRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    due_at: Option<i64>,
    expires_at: i64,
}

impl DeliveryItem {
    fn of(record: &DeliveryRecord) -> Self {
        let pending = record.status == DeliveryStatus::Pending;
        let due = record.next_at.filter(|_| pending);
        DeliveryItem {
            pk: delivery_pk(&record.tenant, &record.endpoint),
            sk: record.event.id.clone(),
            kind: "webhook_delivery".into(),
            record: record.clone(),
            due_pk: due.map(|_| queue_pk(&record.event.id)),
            due_at: due.map(|at| (at + SWEEP_GRACE).timestamp_millis()),
            expires_at: (record.event.created_at + KEPT).timestamp(),
        }
    }
}

/// The outbox item of `event`, to write in the transaction that makes it true. It is due for
/// the sweep shortly after, unless the queue's fast path fanned it out first.
pub fn event_put(
    table: &str,
    tenant: &TenantId,
    event: &Event,
) -> Result<TransactWriteItem, StoreError> {
    let body = serde_json::to_string(event).map_err(|e| corrupt(&event.id, e))?;
    let put = Put::builder()
        .table_name(table)
        .item(keys::PK, s(event_pk(tenant)))
        .item(keys::SK, s(event.id.clone()))
        .item("kind", s("webhook_event"))
        .item("body", s(body))
        .item(keys::DUE_PK, s(queue_pk(&event.id)))
        .item(
            keys::DUE_AT,
            n((event.created_at + SWEEP_GRACE).timestamp_millis()),
        )
        .item(keys::EXPIRES_AT, n((event.created_at + KEPT).timestamp()))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .map_err(|e| corrupt(&event.id, e))?;
    Ok(TransactWriteItem::builder().put(put).build())
}

/// An outbox item's event, and whether it was fanned out (it left the due index).
fn read_event(
    item: &std::collections::HashMap<String, AttributeValue>,
    key: &str,
) -> Result<(Event, bool), StoreError> {
    let body = item
        .get("body")
        .and_then(|v| v.as_s().ok())
        .ok_or_else(|| corrupt(key, "an event without a body"))?;
    let event: Event = serde_json::from_str(body).map_err(|e| corrupt(key, e))?;
    Ok((event, !item.contains_key(keys::DUE_PK)))
}

impl DynamoStore {
    /// An update of one endpoint's item, to be given its expression.
    fn endpoint_update(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(endpoint_sk(id)))
    }

    fn tenant_count_update(&self, tenant: &TenantId, change: i64) -> Result<Update, StoreError> {
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(keys::TENANT_SK))
            .update_expression(format!("ADD {ENDPOINT_COUNT} :change"))
            .expression_attribute_values(":change", n(change));
        if change > 0 {
            update = update
                .condition_expression(format!(
                    "attribute_exists(pk) AND (attribute_not_exists({ENDPOINT_COUNT}) OR {ENDPOINT_COUNT} < :max)"
                ))
                .expression_attribute_values(":max", n(MAX_ENDPOINTS));
        }
        update.build().map_err(|e| corrupt(tenant, e))
    }
}

#[async_trait]
impl WebhookEndpoints for DynamoStore {
    async fn create_endpoint(&self, record: &EndpointRecord) -> Result<(), WriteError> {
        let item = serde_dynamo::to_item(EndpointItem {
            pk: keys::tenant_pk(&record.tenant),
            sk: endpoint_sk(&record.id),
            kind: "webhook_endpoint".into(),
            record: record.clone(),
        })
        .map_err(|e| corrupt(&record.id, e))?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| corrupt(&record.id, e))?;
        let count = self.tenant_count_update(&record.tenant, 1)?;
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        self.transact_or(items, Refusal::PlanLimit).await
    }

    async fn endpoints(&self, tenant: &TenantId) -> Result<Vec<EndpointRecord>, StoreError> {
        let read = PrefixRead {
            consistent: true,
            ..PrefixRead::default()
        };
        let items = (self.items_with_prefix(keys::tenant_pk(tenant), "HOOK#", read)).await?;
        decode_records(Some(items), tenant.as_str(), |i: EndpointItem| i.record)
    }

    async fn update_endpoint(
        &self,
        tenant: &TenantId,
        id: &str,
        spec: &EndpointSpec,
        now: DateTime<Utc>,
    ) -> Result<(), WriteError> {
        let spec = serde_dynamo::to_attribute_value(spec).map_err(|e| corrupt(id, e))?;
        let result = self
            .endpoint_update(tenant, id)
            .update_expression("SET spec = :spec, updated_at = :now")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_values(":spec", spec)
            .expression_attribute_values(":now", s(now.to_rfc3339()))
            .send()
            .await;
        conditional(result).map(|_| ())
    }

    async fn set_endpoint_circuit(
        &self,
        tenant: &TenantId,
        id: &str,
        open_until: Option<DateTime<Utc>>,
    ) -> Result<(), StoreError> {
        let update =
            (self.endpoint_update(tenant, id)).condition_expression("attribute_exists(pk)");
        let update = match open_until {
            Some(until) => update
                .update_expression("SET circuit_open_until = :until")
                .expression_attribute_values(":until", s(until.to_rfc3339())),
            None => update.update_expression("REMOVE circuit_open_until"),
        };
        // An endpoint removed meanwhile has no circuit to keep.
        crate::store::condition_held(update.send().await).map(|_| ())
    }

    async fn delete_endpoint(&self, tenant: &TenantId, id: &str) -> Result<(), WriteError> {
        let delete = aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .key(keys::PK, s(keys::tenant_pk(tenant)))
            .key(keys::SK, s(endpoint_sk(id)))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(|e| corrupt(id, e))?;
        let count = self.tenant_count_update(tenant, -1)?;
        let items = vec![
            TransactWriteItem::builder().delete(delete).build(),
            TransactWriteItem::builder().update(count).build(),
        ];
        self.transact_or(items, Refusal::Stale).await
    }

    async fn rotate_secret(
        &self,
        tenant: &TenantId,
        id: &str,
        old: &str,
        new: &str,
        previous_until: Option<DateTime<Utc>>,
    ) -> Result<(), WriteError> {
        let update = self
            .endpoint_update(tenant, id)
            .condition_expression("attribute_exists(pk) AND secret = :old")
            .expression_attribute_values(":old", s(old.to_owned()))
            .expression_attribute_values(":new", s(new.to_owned()));
        let update = match previous_until {
            Some(until) => {
                let previous = PreviousSecret {
                    secret: old.to_owned(),
                    until,
                };
                let previous =
                    serde_dynamo::to_attribute_value(&previous).map_err(|e| corrupt(id, e))?;
                update
                    .update_expression("SET secret = :new, previous_secret = :previous")
                    .expression_attribute_values(":previous", previous)
            }
            None => update.update_expression("SET secret = :new REMOVE previous_secret"),
        };
        conditional(update.send().await).map(|_| ())
    }
}

#[async_trait]
impl WebhookEvents for DynamoStore {
    async fn record_event(&self, tenant: &TenantId, event: &Event) -> Result<(), StoreError> {
        let put = event_put(&self.table, tenant, event)?;
        match self.transact_or(vec![put], Refusal::Stale).await {
            Ok(()) | Err(WriteError::Refused(_)) => Ok(()),
            Err(WriteError::Store(err)) => Err(err),
        }
    }

    async fn event(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<Option<(Event, bool)>, StoreError> {
        let item = self
            .consistent_item(event_pk(tenant), id.to_owned())
            .await?;
        item.as_ref().map(|item| read_event(item, id)).transpose()
    }

    async fn recent_events(
        &self,
        tenant: &TenantId,
        limit: usize,
    ) -> Result<Vec<(Event, bool)>, StoreError> {
        let mut out = Vec::new();
        let mut start = None;
        while out.len() < limit {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(event_pk(tenant)))
                .scan_index_forward(false)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(aws)?;
            for item in page.items.unwrap_or_default() {
                out.push(read_event(&item, "event")?);
            }
            start = page.last_evaluated_key;
            if start.is_none() {
                break;
            }
        }
        out.truncate(limit);
        Ok(out)
    }

    async fn fan_out(
        &self,
        tenant: &TenantId,
        event: &Event,
        endpoints: &[String],
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        for endpoint in endpoints {
            let record = DeliveryRecord {
                tenant: tenant.clone(),
                endpoint: endpoint.clone(),
                event: event.clone(),
                status: DeliveryStatus::Pending,
                failures: 0,
                attempts: Vec::new(),
                next_at: Some(now),
                version: 1,
            };
            let item = serde_dynamo::to_item(DeliveryItem::of(&record))
                .map_err(|e| corrupt(&event.id, e))?;
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await;
            match conditional(result) {
                Ok(_) | Err(WriteError::Refused(_)) => {}
                Err(WriteError::Store(err)) => return Err(err),
            }
        }
        self.client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(event_pk(tenant)))
            .key(keys::SK, s(event.id.clone()))
            .update_expression("REMOVE #due_pk, #due_at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#due_pk", keys::DUE_PK)
            .expression_attribute_names("#due_at", keys::DUE_AT)
            .send()
            .await
            .map_err(aws)?;
        Ok(())
    }
}

#[async_trait]
impl WebhookDeliveries for DynamoStore {
    async fn delivery(
        &self,
        tenant: &TenantId,
        endpoint: &str,
        event: &str,
    ) -> Result<Option<DeliveryRecord>, StoreError> {
        let item = self
            .consistent_item(delivery_pk(tenant, endpoint), event.to_owned())
            .await?;
        decode_record(item, event, |i: DeliveryItem| i.record)
    }

    async fn save_delivery(&self, record: &DeliveryRecord) -> Result<(), WriteError> {
        let mut next = record.clone();
        next.version += 1;
        let item = serde_dynamo::to_item(DeliveryItem::of(&next))
            .map_err(|e| corrupt(&record.event.id, e))?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("version = :read")
            .expression_attribute_values(":read", n(record.version))
            .send()
            .await;
        conditional(result).map(|_| ())
    }

    async fn deliveries(
        &self,
        tenant: &TenantId,
        endpoint: &str,
        limit: usize,
    ) -> Result<Vec<DeliveryRecord>, StoreError> {
        let out = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(delivery_pk(tenant, endpoint)))
            .scan_index_forward(false)
            .limit(i32::try_from(limit).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(aws)?;
        decode_records(out.items, endpoint, |i: DeliveryItem| i.record)
    }

    async fn due_webhook_jobs(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<WebhookJob>, StoreError> {
        let mut jobs = Vec::new();
        for shard in 0..keys::WEBHOOK_QUEUE_SHARDS {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(keys::DUE_INDEX)
                .key_condition_expression("#pk = :pk AND #at <= :now")
                .expression_attribute_names("#pk", keys::DUE_PK)
                .expression_attribute_names("#at", keys::DUE_AT)
                .expression_attribute_values(":pk", s(format!("WQ#{shard}")))
                .expression_attribute_values(":now", n(now.timestamp_millis()))
                .limit(i32::try_from(limit).unwrap_or(i32::MAX))
                .send()
                .await
                .map_err(aws)?;
            for item in out.items.unwrap_or_default() {
                if let Some(job) = self.lease_job(&item, now + lease).await? {
                    jobs.push(job);
                }
            }
        }
        Ok(jobs)
    }
}

impl DynamoStore {
    /// Pushes one due item `until` later (conditional on its due time as read: a concurrent
    /// sweep that took it first wins) and names its job.
    async fn lease_job(
        &self,
        item: &std::collections::HashMap<String, AttributeValue>,
        until: DateTime<Utc>,
    ) -> Result<Option<WebhookJob>, StoreError> {
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let (Some(pk), Some(sk), Some(due)) = (
            text(keys::PK),
            text(keys::SK),
            item.get(keys::DUE_AT).cloned(),
        ) else {
            return Ok(None);
        };
        let job = if let Some(tenant) = pk.strip_prefix("EV#") {
            TenantId::parse(tenant)
                .ok()
                .map(|tenant| WebhookJob::Fanout {
                    tenant,
                    event: sk.clone(),
                })
        } else if let Some(rest) = pk.strip_prefix("WD#") {
            rest.rsplit_once('#').and_then(|(tenant, endpoint)| {
                TenantId::parse(tenant)
                    .ok()
                    .map(|tenant| WebhookJob::Deliver {
                        tenant,
                        endpoint: endpoint.to_owned(),
                        event: sk.clone(),
                    })
            })
        } else {
            None
        };
        let Some(job) = job else { return Ok(None) };
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, s(pk))
            .key(keys::SK, s(sk))
            .update_expression("SET #at = :until")
            .condition_expression("#at = :due")
            .expression_attribute_names("#at", keys::DUE_AT)
            .expression_attribute_values(":until", n(until.timestamp_millis()))
            .expression_attribute_values(":due", due)
            .send()
            .await;
        match conditional(result) {
            Ok(_) => Ok(Some(job)),
            Err(WriteError::Refused(_)) => Ok(None),
            Err(WriteError::Store(err)) => Err(err),
        }
    }
}
