//! Attempt records as items of their own (`pk = R#{tenant}#{campaign}#{shard}`,
//! `sk = {lead}#{attempt:03}`, the record as compact JSON in `record`): written by the
//! transition that closes or amends an attempt, read only where attempts are shown.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, Update};
use domain::ids::{CampaignRef, LeadRef};
use domain::lead::{AttemptRecord, Lead};
use ports::store::{AttemptRecords, RecordsWanted};

use super::transition::Expr;
use crate::store::keys;
use crate::store::{DynamoStore, StoreError, corrupt, s};

/// The attribute that holds the record.
const RECORD: &str = "record";
/// `BatchGetItem`'s most keys per request.
const KEYS_PER_READ: usize = 100;

/// The update that writes `record` of `lead`: an update, not a put, so an expiry the tenant's
/// retention set on the item (`expires_at`) outlives a late report's amendment.
pub(crate) fn record_update(
    table: &str,
    lead: &LeadRef,
    record: &AttemptRecord,
) -> Result<Update, StoreError> {
    let json = serde_json::to_string(record).map_err(|e| corrupt(&lead.lead, e))?;
    let (pk, sk) = keys::record_key(lead, record.attempt);
    let mut e = Expr::default();
    e.set(RECORD, s(json));
    e.update(table, pk, sk)
}

/// The keys `which` names of one lead.
fn wanted_keys(lead: &LeadRef, attempts: u8, which: RecordsWanted) -> Vec<(String, String)> {
    match which {
        RecordsWanted::All => (1..=attempts).map(|a| keys::record_key(lead, a)).collect(),
        RecordsWanted::Attempt(a) => vec![keys::record_key(lead, a)],
    }
}

/// Puts `found` in the lead's log: a record of an item replaces one of the same attempt the
/// lead item still carried (from before records were items); oldest first.
fn merge(log: &mut Vec<AttemptRecord>, found: Vec<AttemptRecord>) {
    for record in found {
        match log.iter_mut().find(|r| r.attempt == record.attempt) {
            Some(known) => *known = record,
            None => log.push(record),
        }
    }
    log.sort_by_key(|r| r.attempt);
}

#[async_trait::async_trait]
impl AttemptRecords for DynamoStore {
    /// Strongly consistent reads: an erasure takes the records' counts off the campaign and a
    /// report amends the record its attempt's end just wrote.
    async fn attach_records(
        &self,
        campaign: &CampaignRef,
        leads: &mut [Lead],
        which: RecordsWanted,
    ) -> Result<(), StoreError> {
        let mut keys = Vec::new();
        for (index, lead) in leads.iter().enumerate() {
            let key = LeadRef {
                campaign: campaign.clone(),
                lead: lead.id.clone(),
            };
            let wanted = wanted_keys(&key, lead.state.attempts, which);
            keys.extend(wanted.into_iter().map(|k| (index, k)));
        }
        let owner: HashMap<String, usize> =
            keys.iter().map(|(i, (_, sk))| (sk.clone(), *i)).collect();
        let mut found: Vec<Vec<AttemptRecord>> = vec![Vec::new(); leads.len()];
        for chunk in keys.chunks(KEYS_PER_READ) {
            let mut request = KeysAndAttributes::builder().consistent_read(true);
            for (_, (pk, sk)) in chunk {
                request = request.keys(HashMap::from([
                    (keys::PK.to_owned(), s(pk.clone())),
                    (keys::SK.to_owned(), s(sk.clone())),
                ]));
            }
            let request = request.build().map_err(|e| corrupt("records", e))?;
            for item in self.batch_get(request).await? {
                let sk = text(&item, keys::SK).unwrap_or_default();
                let Some(index) = owner.get(sk) else { continue };
                let json = text(&item, RECORD).ok_or_else(|| corrupt(sk, "no record"))?;
                let record = serde_json::from_str(json).map_err(|e| corrupt(sk, e))?;
                found[*index].push(record);
            }
        }
        for (lead, records) in leads.iter_mut().zip(found) {
            merge(&mut lead.state.log, records);
        }
        Ok(())
    }
}

fn text<'a>(item: &'a HashMap<String, AttributeValue>, name: &str) -> Option<&'a str> {
    item.get(name)?.as_s().ok().map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, Utc};
    use domain::retry::Outcome;

    fn record(attempt: u8, outcome: Outcome) -> AttemptRecord {
        let at: DateTime<Utc> = "2026-06-10T15:00:00Z".parse().unwrap();
        AttemptRecord {
            attempt,
            started_at: at,
            ended_at: at,
            outcome,
            duration_seconds: 0,
            provider_call_id: None,
            disposition: None,
            report: Default::default(),
            answered_by: None,
            fields_left_out: vec![],
            transferred: false,
            clearance: None,
        }
    }

    #[test]
    fn records_read_from_items_replace_those_the_lead_carried_and_come_oldest_first() {
        let mut log = vec![record(2, Outcome::NoAnswer)];
        let found = vec![record(3, Outcome::Completed), record(2, Outcome::Completed)];
        merge(&mut log, found);
        let attempts: Vec<_> = log.iter().map(|r| (r.attempt, r.outcome)).collect();
        assert_eq!(
            attempts,
            [(2, Outcome::Completed), (3, Outcome::Completed)],
            "the item's record wins and the log is in attempt order"
        );
    }

    #[test]
    fn all_names_every_started_attempt_and_one_names_only_its_own() {
        let lead = LeadRef {
            campaign: CampaignRef {
                tenant: domain::ids::TenantId::parse("t").unwrap(),
                campaign: domain::ids::CampaignId::parse("c").unwrap(),
            },
            lead: domain::ids::LeadId::parse("lead1").unwrap(),
        };
        let all = wanted_keys(&lead, 3, RecordsWanted::All);
        let sks: Vec<_> = all.iter().map(|(_, sk)| sk.as_str()).collect();
        assert_eq!(sks, ["lead1#001", "lead1#002", "lead1#003"]);
        assert!(all.iter().all(|(pk, _)| pk.starts_with("R#t#c#")));
        assert_eq!(wanted_keys(&lead, 3, RecordsWanted::Attempt(2)).len(), 1);
        assert!(wanted_keys(&lead, 0, RecordsWanted::All).is_empty());
    }
}
