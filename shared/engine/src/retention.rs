//! The tenant's retention: a set number of days after a campaign ends, its leads — every
//! personal datum the table holds of its contacts — are deleted. By DynamoDB's TTL, not a
//! sweep: the results worker's `retain` job, queued when a campaign ends (the tick that
//! completes it, the API's cancel of one with nothing open) and for every ended campaign when
//! the tenant changes its retention, writes each lead's `expires_at` (the campaign's end plus
//! the retention), and DynamoDB deletes the items within days of it at no cost. The campaign's
//! counters and hourly analytics stay (counts, nobody's data); its files go by the bucket's
//! lifecycle rules (exports 30 days, uploads and reports 90), whatever the retention.

use chrono::Duration;
use domain::ids::CampaignRef;
use domain::status::CampaignStatus;

use crate::results::{ResultsError, ResultsStore, ShardRounds};

/// Gives the ended campaign's leads the expiry the tenant's retention asks for now (none: no
/// expiry), then records it on the campaign. A campaign not ended, or already so, is left.
pub async fn retain<S: ResultsStore>(
    store: &S,
    campaign: &CampaignRef,
) -> Result<(), ResultsError> {
    let (Some(record), Some(tenant)) = (
        store.get_campaign(campaign).await?,
        store.get_tenant(&campaign.tenant).await?,
    ) else {
        return Ok(());
    };
    if !matches!(
        record.status,
        CampaignStatus::Completed | CampaignStatus::Cancelled
    ) {
        return Ok(());
    }
    let until = (tenant.retention_days).map(|days| record.updated_at + Duration::days(days.into()));
    if record.personal_data_until == until {
        return Ok(());
    }
    let mut rounds = ShardRounds::new();
    let mut leads = 0usize;
    while let Some(round) = rounds.next(store, campaign).await? {
        let ids: Vec<_> = (round.into_iter())
            .map(|lead| (lead.id, lead.state.attempts))
            .collect();
        leads += ids.len();
        store.expire_leads(campaign, &ids, until).await?;
    }
    store.set_personal_data_until(campaign, until).await?;
    tracing::info!(campaign = %campaign, leads, until = ?until, "leads' retention applied");
    Ok(())
}
