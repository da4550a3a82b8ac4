//! Paged listing of a campaign's leads: the whole campaign from the table, shard by shard,
//! or one status through the keys-only by-status index and then the table.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes};
use domain::ids::CampaignRef;
use domain::lead::Lead;
use domain::status::LeadStatus;
use ports::store::{LeadCursor, LeadPages, ShardPage};

use super::read_lead;
use crate::store::keys;
use crate::store::{DynamoStore, StoreError, aws, corrupt, s};
use ports::store::LEAD_SHARDS;

type Item = HashMap<String, AttributeValue>;

/// A lead item's sort key (the lead id), or empty for an item without one.
fn sort_key(item: &Item) -> String {
    item.get(keys::SK)
        .and_then(|v| v.as_s().ok())
        .cloned()
        .unwrap_or_default()
}

#[async_trait::async_trait]
impl ports::store::LeadPages for DynamoStore {
    /// The leads after `after` in one shard of the campaign (with `status`: of that status),
    /// at most `want`, in id order; one query (and for a status, the table reads it needs).
    async fn lead_shard_page(
        &self,
        campaign: &CampaignRef,
        status: Option<LeadStatus>,
        shard: u8,
        after: Option<String>,
        want: usize,
    ) -> Result<ShardPage, StoreError> {
        let (pk_attr, sk_attr, pk, index) = match status {
            None => (keys::PK, keys::SK, keys::lead_pk(campaign, shard), None),
            Some(status) => (
                keys::STATUS_PK,
                keys::STATUS_SK,
                keys::status_pk(campaign, status, shard),
                Some(keys::STATUS_INDEX),
            ),
        };
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(index.map(str::to_owned))
            .expression_attribute_names("#pk", pk_attr)
            .expression_attribute_values(":pk", s(pk))
            .limit(i32::try_from(want).unwrap_or(i32::MAX));
        request = match &after {
            Some(after) => request
                .key_condition_expression("#pk = :pk AND #sk > :after")
                .expression_attribute_names("#sk", sk_attr)
                .expression_attribute_values(":after", s(after.clone())),
            None => request.key_condition_expression("#pk = :pk"),
        };
        let out = request.send().await.map_err(aws)?;
        let mut page = ShardPage {
            leads: Vec::new(),
            after,
            exhausted: out.last_evaluated_key.is_none(),
        };
        let named = match status {
            None => (out.items.unwrap_or_default().into_iter())
                .map(|item| (sort_key(&item), Some(item)))
                .collect(),
            Some(_) => self.leads_named_by(out.items.unwrap_or_default()).await?,
        };
        for (sk, item) in named {
            page.after = Some(sk);
            // Gone since the index named it (the index lags the table).
            let Some(item) = item else { continue };
            match read_lead(item) {
                // Read from the table after the index named it, a lead may have moved on
                // since: it is listed under the status it has now, not this one.
                Ok(lead) if status.is_some_and(|want| lead.state.status != want) => {}
                Ok(lead) => page.leads.push(lead),
                Err(unreadable) => self.quarantine_lead(campaign, &unreadable).await?,
            }
        }
        Ok(page)
    }
}

impl DynamoStore {
    /// A page of the campaign's leads from `cursor` on, across shards (see
    /// [`ports::store::Leads::list_leads`]).
    pub(super) async fn list_page(
        &self,
        campaign: &CampaignRef,
        status: Option<LeadStatus>,
        cursor: Option<LeadCursor>,
        limit: usize,
    ) -> Result<(Vec<Lead>, Option<LeadCursor>), StoreError> {
        let mut cursor = cursor.unwrap_or(LeadCursor {
            shard: 0,
            after: None,
        });
        let mut leads = Vec::new();
        while leads.len() < limit && cursor.shard < LEAD_SHARDS {
            let want = limit - leads.len();
            let page =
                (self.lead_shard_page(campaign, status, cursor.shard, cursor.after, want)).await?;
            leads.extend(page.leads);
            cursor = match page.exhausted {
                true => LeadCursor {
                    shard: cursor.shard + 1,
                    after: None,
                },
                false => LeadCursor {
                    shard: cursor.shard,
                    after: page.after,
                },
            };
        }
        let next = (cursor.shard < LEAD_SHARDS).then_some(cursor);
        Ok((leads, next))
    }

    /// The leads a page of the by-status index names, read from the table in the page's order,
    /// each with its sort key (`None`: no longer in the table). The index projects keys only,
    /// so a lead write that keeps the lead's status costs no index write; listing by status pays
    /// instead, with one eventually consistent `BatchGetItem` per 100 leads listed.
    async fn leads_named_by(
        &self,
        index_page: Vec<Item>,
    ) -> Result<Vec<(String, Option<Item>)>, StoreError> {
        let mut found: HashMap<String, Item> = HashMap::new();
        for chunk in index_page.chunks(100) {
            let mut request = KeysAndAttributes::builder();
            for entry in chunk {
                let key = [keys::PK, keys::SK]
                    .into_iter()
                    .filter_map(|name| Some((name.to_owned(), entry.get(name)?.clone())))
                    .collect();
                request = request.keys(key);
            }
            let request = request.build().map_err(|e| corrupt("by_status page", e))?;
            for item in self.batch_get(request).await? {
                found.insert(sort_key(&item), item);
            }
        }
        Ok((index_page.iter())
            .map(|entry| {
                let sk = sort_key(entry);
                let item = found.remove(&sk);
                (sk, item)
            })
            .collect())
    }
}
