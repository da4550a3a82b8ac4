//! Key builders: the only place key formats are written down in code. See the table in
//! [`super`] for which access pattern each serves.

use chrono::{DateTime, Utc};
use domain::ids::{AgentId, ApiKeyId, CampaignRef, ImportId, LeadId, LeadRef, TenantId};
use domain::lead::DueKind;
use domain::phone::E164;
use domain::status::LeadStatus;

/// Partition key attribute.
pub const PK: &str = "pk";

/// Every kind of partition the table and its indexes hold, as the start of its key (the
/// template's `dynamodb:LeadingKeys` conditions grant each function some of these; a test checks
/// the template names no other). Webhook keys (`EV#`, `WD#`, `WQ#`) are built in `webhooks.rs`,
/// a number's ledger (`N#`) in `leads/number_calls.rs`.
pub const PARTITION_PREFIXES: &[&str] = &[
    "T#", "KEY#", "C#", "L#", "R#", "D#", "S#", "DNC#", "DNCLOG#", "N#", "CPS#", "DEMAND#",
    "RATE#", "EV#", "WD#", "WQ#", "LINES#", "CN#", "RG#", "ERASED#",
];
/// Sort key attribute.
pub const SK: &str = "sk";
pub const DUE_INDEX: &str = "due";
/// Due index partition key attribute.
pub const DUE_PK: &str = "due_pk";
/// Due index sort key attribute (epoch milliseconds).
pub const DUE_AT: &str = "due_at";
/// The by-status index.
pub const STATUS_INDEX: &str = "by_status";
/// By-status partition key attribute.
pub const STATUS_PK: &str = "status_pk";
/// By-status sort key attribute.
pub const STATUS_SK: &str = "status_sk";
/// TTL attribute.
pub const EXPIRES_AT: &str = "expires_at";

/// Lead partitions and due-index shards per campaign (see the port for why).
use ::ports::store::LEAD_SHARDS;

/// The tenant's own items: the tenant, its keys, agents and campaigns.
pub fn tenant_pk(tenant: &TenantId) -> String {
    format!("T#{tenant}")
}

/// Partitions of a registry's numbers for a tenant, one of 100 by the number's last two
/// digits (uniform over any list), so loading millions of numbers is not held to one
/// partition's write rate; the sort key is the number. A dial-time check is one key.
pub fn registry_pk(
    tenant: &TenantId,
    registry: domain::registry::Registry,
    number: &E164,
) -> String {
    let digits = number.digits();
    let shard = &digits[digits.len().saturating_sub(2)..];
    format!("RG#{tenant}#{}#{shard}", registry.code())
}

/// Sort key of a registry extract's upload on the tenant's partition.
pub fn registry_extract_sk(registry: domain::registry::Registry, id: &str) -> String {
    format!("REGISTRY#{}#{id}", registry.code())
}

/// Prefix of every registry extract's upload on the tenant's partition.
pub const REGISTRY_EXTRACT_PREFIX: &str = "REGISTRY#";

/// Sort key of the tenant item.
pub const TENANT_SK: &str = "TENANT";

/// Sort key of an agent.
pub fn agent_sk(agent: &AgentId) -> String {
    format!("AGENT#{agent}")
}

/// Sort key of a campaign's configuration and status.
pub fn campaign_sk(campaign: &domain::ids::CampaignId) -> String {
    format!("CAMPAIGN#{campaign}")
}

/// Sort key of an API key's listing entry.
pub fn api_key_sk(key: &ApiKeyId) -> String {
    format!("APIKEY#{key}")
}

/// Partition of an API key looked up by the hash of its secret.
pub fn api_key_hash_pk(secret_hash: &str) -> String {
    format!("KEY#{secret_hash}")
}

/// The campaign's operational partition: counters, hourly counters, import jobs.
pub fn campaign_pk(c: &CampaignRef) -> String {
    format!("C#{}#{}", c.tenant, c.campaign)
}

/// Counters and pacing state of a campaign.
pub const STATS_SK: &str = "STATS";

/// The guardrails' snapshots of the counters.
pub const HEALTH_SK: &str = "HEALTH";

/// Hourly analytics counters.
pub fn hour_sk(hour_start: DateTime<Utc>) -> String {
    format!("{HOUR_PREFIX}{}", hour_start.format("%Y-%m-%dT%H"))
}

/// Prefix of the hourly analytics items.
pub const HOUR_PREFIX: &str = "HOUR#";

/// An export job.
pub fn export_sk(export: &domain::ids::ExportId) -> String {
    format!("EXPORT#{export}")
}

/// The last reconciliation report of a campaign.
pub const RECONCILE_SK: &str = "RECONCILE";

/// An import job.
pub fn import_sk(import: &ImportId) -> String {
    format!("IMPORT#{import}")
}

/// A lead's partition: the campaign's shard that holds it.
pub fn lead_pk(c: &CampaignRef, shard: u8) -> String {
    format!("L#{}#{}#{shard}", c.tenant, c.campaign)
}

/// A lead's key.
pub fn lead_key(lead: &LeadRef) -> (String, String) {
    (
        lead_pk(&lead.campaign, lead.lead.shard(LEAD_SHARDS)),
        lead.lead.to_string(),
    )
}

/// The partition of a lead's attempt records: its own shard's, beside (not in) the leads', so
/// a page of leads reads no record.
pub fn record_pk(c: &CampaignRef, shard: u8) -> String {
    format!("R#{}#{}#{shard}", c.tenant, c.campaign)
}

/// The key of a lead's attempt record: its lead id and the attempt, three digits (attempts are
/// counted in a `u8`) so a lead's records sort in attempt order.
pub fn record_key(lead: &LeadRef, attempt: u8) -> (String, String) {
    (
        record_pk(&lead.campaign, lead.lead.shard(LEAD_SHARDS)),
        format!("{}#{attempt:03}", lead.lead),
    )
}

/// The due index partition a lead belongs to for a kind of deadline. Call deadlines are few
/// (at most the concurrency) and live in one partition; dial deadlines are sharded.
pub fn due_pk(c: &CampaignRef, kind: DueKind, lead: &LeadId) -> String {
    match kind {
        DueKind::Dial => due_shard_pk(c, kind, lead.shard(LEAD_SHARDS)),
        DueKind::CallDeadline => due_shard_pk(c, kind, 0),
    }
}

/// A due index partition.
pub fn due_shard_pk(c: &CampaignRef, kind: DueKind, shard: u8) -> String {
    let kind = match kind {
        DueKind::Dial => "dial",
        DueKind::CallDeadline => "call",
    };
    format!("D#{}#{}#{kind}#{shard}", c.tenant, c.campaign)
}

/// The by-status index partition of a lead.
pub fn status_pk(c: &CampaignRef, status: LeadStatus, shard: u8) -> String {
    format!("S#{}#{}#{}#{shard}", c.tenant, c.campaign, status.as_str())
}

/// The status a by-status partition key names (`None`: not such a key).
pub fn status_of_status_pk(pk: &str) -> Option<LeadStatus> {
    let mut parts = pk.strip_prefix("S#")?.rsplit('#');
    let _shard: u8 = parts.next()?.parse().ok()?;
    LeadStatus::parse(parts.next()?)
}

/// A tenant's Do-Not-Call list.
pub fn dnc_pk(tenant: &TenantId) -> String {
    format!("DNC#{tenant}")
}

/// A number on the list.
pub fn dnc_sk(number: &E164) -> String {
    number.to_string()
}

/// The partition of a tenant's erased numbers: one item a number, its sort key the number's
/// keyed marker (`domain::erasure::number_marker`), checked by every claim.
pub fn erased_pk(tenant: &TenantId) -> String {
    format!("ERASED#{tenant}")
}

/// Sort key of an erasure's record on the tenant's partition.
pub fn erasure_sk(id: &domain::ids::ErasureId) -> String {
    format!("ERASURE#{id}")
}

/// The call ledger's sort key on a number's partition.
pub const NUMBER_CALLS_SK: &str = "CALLS";

/// The partition of a tenant's DNC removals: apart from the list, so listing the list never
/// meets them. Sort key `{removed_at}#{E.164}`: newest last.
pub fn dnc_removals_pk(tenant: &TenantId) -> String {
    format!("DNCLOG#{tenant}")
}

/// A tenant's API request budget for one second.
pub fn rate_pk(tenant: &TenantId, epoch_second: i64) -> String {
    format!("RATE#{tenant}#{epoch_second}")
}

/// The sort key of a request budget.
pub const RATE_SK: &str = "RATE";

/// A tenant's share of a provider account's calls per second, for one second.
pub fn tenant_cps_pk(account: &str, tenant: &TenantId, epoch_second: i64) -> String {
    format!("CPS#{account}#{tenant}#{epoch_second}")
}

/// The tenants dialing on a provider account (one item each, `sk = {tenant}`).
pub fn demand_pk(account: &str) -> String {
    format!("DEMAND#{account}")
}

/// A provider account's calls-per-second token bucket for one second.
pub fn cps_pk(account: &str, epoch_second: i64) -> String {
    format!("CPS#{account}#{epoch_second}")
}

/// Sort key of a CPS bucket.
pub const CPS_SK: &str = "CPS";

/// A provider account's live calls, over every tenant and campaign (one item, `n` = lines in
/// use), for an account that caps simultaneous calls.
pub fn account_lines_pk(account: &str) -> String {
    format!("LINES#{account}")
}

/// Sort key of an account's live-call count.
pub const ACCOUNT_LINES_SK: &str = "LINES";

/// The lead item's attribute naming the account whose line its live call holds: written and
/// removed with the line by the store's transitions only, so a lead set aside with damaged data
/// still tells which line to give back.
pub const ACCOUNT_SLOT: &str = "account_slot";

/// A tenant's caller number: its day ledgers (calls per hour and day, and the day's
/// health figures), one item per UTC day.
pub fn caller_number_pk(tenant: &TenantId, number: &E164) -> String {
    format!("CN#{tenant}#{number}")
}

/// Sort key of a caller number's ledger for one UTC day.
pub fn caller_day_sk(day: chrono::NaiveDate) -> String {
    format!("DAY#{day}")
}

/// The attribute of a day ledger counting the calls started in one UTC hour.
pub fn caller_hour_attr(hour: u32) -> String {
    format!("h{hour:02}")
}

/// The attribute counting rolling-hour starts in one minute.
pub fn minute_attr(epoch_minute: i64) -> String {
    format!("m_{epoch_minute}")
}

/// A tenant's webhook endpoint, under the tenant's partition.
pub(crate) fn endpoint_sk(id: &str) -> String {
    format!("HOOK#{id}")
}

/// A tenant's webhook events (the outbox).
pub(crate) fn event_pk(tenant: &TenantId) -> String {
    format!("EV#{tenant}")
}

/// One endpoint's deliveries.
pub(crate) fn delivery_pk(tenant: &TenantId, endpoint: &str) -> String {
    format!("WD#{tenant}#{endpoint}")
}

/// Due-index shards of webhook work (spread over partitions; each sweep reads them all).
pub(crate) const WEBHOOK_QUEUE_SHARDS: u32 = 4;

/// The due-index partition of a piece of webhook work.
pub(crate) fn webhook_queue_pk(event: &str) -> String {
    let hash = event
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("WQ#{}", hash % WEBHOOK_QUEUE_SHARDS)
}

/// The ledger of `number` for `tenant`: its calls over the tenant's campaigns.
pub(crate) fn number_pk(tenant: &TenantId, number: &E164) -> String {
    format!("N#{tenant}#{number}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ids::CampaignId;

    #[test]
    fn every_partition_key_built_here_starts_with_a_listed_prefix() {
        let c = CampaignRef {
            tenant: TenantId::parse("t").unwrap(),
            campaign: CampaignId::parse("c").unwrap(),
        };
        let tenant = &c.tenant;
        let number = E164::parse_strict("+12125550100").unwrap();
        let built = [
            tenant_pk(tenant),
            api_key_hash_pk("abc"),
            campaign_pk(&c),
            lead_pk(&c, 1),
            record_pk(&c, 1),
            due_shard_pk(&c, DueKind::Dial, 0),
            status_pk(&c, LeadStatus::Pending, 0),
            dnc_pk(tenant),
            dnc_removals_pk(tenant),
            rate_pk(tenant, 1),
            tenant_cps_pk("acct", tenant, 1),
            cps_pk("acct", 1),
            demand_pk("acct"),
            account_lines_pk("acct"),
            event_pk(tenant),
            delivery_pk(tenant, "e1"),
            webhook_queue_pk("ev1"),
            number_pk(tenant, &number),
        ];
        for pk in built {
            let prefix = &pk[..=pk.find('#').unwrap()];
            assert!(PARTITION_PREFIXES.contains(&prefix), "{pk}");
        }
    }

    #[test]
    fn a_by_status_key_names_the_status_it_was_made_for() {
        let c = CampaignRef {
            tenant: TenantId::parse("acme").unwrap(),
            campaign: CampaignId::parse("c1").unwrap(),
        };
        for status in LeadStatus::ALL {
            for shard in [0, 3] {
                let pk = status_pk(&c, status, shard);
                assert_eq!(status_of_status_pk(&pk), Some(status), "{pk}");
            }
        }
        for not_a_key in [
            "",
            "S#",
            "S#acme#c1#pending",
            "S#acme#c1#migrated#0",
            "D#acme#c1#dial#0",
        ] {
            assert_eq!(status_of_status_pk(not_a_key), None, "{not_a_key}");
        }
    }
}
