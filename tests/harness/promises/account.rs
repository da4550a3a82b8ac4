//! The promises that span every tenant on one provider account: its calls per second and its
//! lines (simultaneous calls).

use adapters::store::DynamoStore;
use adapters::voice::simulator::SimulatedCall;
use chrono::{DateTime, Utc};
use domain::status::LeadStatus;
use ports::store::Leads;
use std::collections::BTreeMap;

use super::Findings;
use crate::World;

/// The provider account's calls per second holds over every tenant and campaign dialing on
/// it (fair shares lend seconds between tenants; lending must never overdraw the account).
pub(super) fn calls_per_second_held(f: &mut Findings, every_call: &[SimulatedCall], cps: u32) {
    let peak = peak_per_second(every_call);
    f.figures
        .insert("peak_account_calls_per_second", i64::from(peak));
    if peak > cps {
        f.fail(
            "pacing",
            format!("{peak} calls started in one second over all tenants, account limit {cps}"),
        );
    }
}

/// The account's lines: never more calls live on the network than it has, and its count of
/// lines in use always the live calls holding one, over every campaign of the world.
pub(super) async fn lines_held(
    f: &mut Findings,
    world: &World,
    account: &str,
    lines: u32,
) -> anyhow::Result<()> {
    account_lines_never_exceeded(f, &world.simulator.calls(), lines);
    let mut holding = 0;
    for campaign in world.campaigns() {
        let leads = world.store.all_leads(campaign).await?;
        holding += (leads.iter())
            .filter(|l| l.state.status == LeadStatus::Calling)
            .filter(|l| {
                l.state
                    .call
                    .as_ref()
                    .is_some_and(|c| c.account_slot.is_some())
            })
            .count() as i64;
    }
    let counted = account_lines_in_use(&world.store, account).await?;
    if counted != holding {
        f.fail(
            "leaked slot",
            format!("the account counts {counted} lines in use, {holding} live calls hold one"),
        );
    }
    Ok(())
}

/// The provider account's lines hold over every tenant and campaign dialing on it: never more
/// calls live on the network at once (from its own start and end times; our count gives a line
/// back only once the end is reported, so it can only be higher).
fn account_lines_never_exceeded(f: &mut Findings, every_call: &[SimulatedCall], lines: u32) {
    let peak = peak_live(every_call);
    f.figures.insert("peak_account_lines", peak);
    if peak > i64::from(lines) {
        f.fail(
            "pacing",
            format!("{peak} calls live at once over all tenants, the account has {lines} lines"),
        );
    }
}

/// The account's lines in use, as the store counts them.
async fn account_lines_in_use(store: &DynamoStore, account: &str) -> anyhow::Result<i64> {
    use adapters::store::keys;
    use aws_sdk_dynamodb::types::AttributeValue;
    let item = (store.client().get_item())
        .table_name(store.table())
        .key(keys::PK, AttributeValue::S(keys::account_lines_pk(account)))
        .key(keys::SK, AttributeValue::S(keys::ACCOUNT_LINES_SK.into()))
        .consistent_read(true)
        .send()
        .await?;
    let n = (item.item())
        .and_then(|i| i.get("n"))
        .and_then(|n| n.as_n().ok());
    Ok(n.map(|n| n.parse()).transpose()?.unwrap_or(0))
}

/// Most calls started in one second, by the network's own start times.
pub(super) fn peak_per_second(calls: &[SimulatedCall]) -> u32 {
    let mut per_second: BTreeMap<i64, u32> = BTreeMap::new();
    for call in calls {
        *per_second.entry(call.placed_at.timestamp()).or_default() += 1;
    }
    per_second.values().copied().max().unwrap_or(0)
}

/// Most calls live at once, by the network's own start and end times (an end before a start at
/// the same instant).
pub(super) fn peak_live(calls: &[SimulatedCall]) -> i64 {
    let mut edges: Vec<(DateTime<Utc>, i64)> = (calls.iter())
        .flat_map(|c| [(c.placed_at, 1), (c.ends_at, -1)])
        .collect();
    edges.sort_by_key(|(t, d)| (*t, *d));
    let (mut live, mut peak) = (0i64, 0i64);
    for (_, d) in edges {
        live += d;
        peak = peak.max(live);
    }
    peak
}
