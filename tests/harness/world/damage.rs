//! Damaging lead items in a world, as a bad migration would: the `status` and `state`
//! attributes overwritten, the rest left. The store must set such a lead aside, take it out of
//! every count it was in, and let the campaign complete with the rest.

use aws_sdk_dynamodb::types::AttributeValue;
use chrono::Duration;
use domain::ids::{CampaignRef, LeadRef};
use domain::lead::Lead;
use domain::status::LeadStatus;
use ports::store::Leads;

use adapters::store::{DynamoStore, keys};

/// What the bad migration writes over `state`: JSON, but not a lead's state.
pub const DAMAGED_STATE: &str = r#"{"migrated":true}"#;

/// One lead to damage.
#[derive(Debug, Clone)]
pub struct Damage {
    /// When: `None` while the campaign is a Draft (before launch), else this long after the
    /// start.
    pub at: Option<Duration>,
    /// The lead: the first one (in contact order) in this status then, with no attempt made
    /// yet (its calls, if any, would be checked against a record that is gone).
    pub victim: LeadStatus,
    /// What is written over `status`: a word that is no status, or a status that lies.
    pub status: &'static str,
}

/// Damages the first lead of `campaign` matching `damage` among `leads`; returns it as it was
/// just before (`None`: no lead matched). The write is conditional on the version read, so a
/// lead that moved meanwhile is not damaged (the next candidate is tried).
pub async fn damage_one(
    store: &DynamoStore,
    campaign: &CampaignRef,
    leads: &[Lead],
    damage: &Damage,
) -> anyhow::Result<Option<Lead>> {
    for lead in leads
        .iter()
        .filter(|l| l.state.status == damage.victim && l.state.attempts == 0)
    {
        let reference = LeadRef {
            campaign: campaign.clone(),
            lead: lead.id.clone(),
        };
        let Some(now) = store.get_lead(&reference).await? else {
            continue;
        };
        if now.state.status != damage.victim || now.state.attempts != 0 {
            continue;
        }
        let (pk, sk) = keys::lead_key(&reference);
        let written = store
            .client()
            .update_item()
            .table_name(store.table())
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .update_expression("SET #status = :status, #state = :state")
            .condition_expression("#version = :version")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#state", "state")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":status", AttributeValue::S(damage.status.into()))
            .expression_attribute_values(":state", AttributeValue::S(DAMAGED_STATE.into()))
            .expression_attribute_values(
                ":version",
                AttributeValue::N(now.state.version.to_string()),
            )
            .send()
            .await;
        match written {
            Ok(_) => return Ok(Some(now)),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) => {}
            Err(err) => return Err(err.into()),
        }
    }
    Ok(None)
}
