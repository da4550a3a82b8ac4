//! Counts that a set-aside lead may still hold.
//!
//! The store sets aside (quarantines) a lead whose item no longer decodes, and moves it out of
//! the status count it was in. When the damaged item no longer tells which count that was, the
//! count stays, and two things would follow: a campaign whose only open counts are such leads
//! would never complete, and a slot held by a call that can no longer be settled would leave
//! the campaign dialing one call short for good. The tick notices either from what it already
//! has (the counters) plus at most two one-item reads of the due index, and asks the results
//! worker to reconcile the counters with the readable leads. That repair is conditional on the
//! counters not moving while the leads are counted, so it takes effect once the campaign is
//! quiet — and a campaign held open only by set-aside leads is quiet. Campaigns with no
//! set-aside lead pay nothing here.

use chrono::{DateTime, Duration, Utc};
use domain::ids::CampaignRef;
use domain::lead::DueKind;
use ports::store::{CampaignCounters, DueBatch};

use super::{FOREVER, TickStore};
use crate::messages::ResultsJob;
use crate::{Engine, EngineError};

/// How often one container asks for the same campaign's repair (a reconciliation reads every
/// lead, and the one asked for may still be running).
const REPAIR_EVERY: Duration = Duration::minutes(5);

/// What the counters and the due index say about set-aside leads' counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stale {
    /// Nothing suspicious, or not known without reading the due index.
    No,
    /// Slots are held though no call is open.
    Slot,
    /// Leads are counted open though none is due or on a call.
    Open,
}

/// Whether the counters may hold counts of set-aside leads, judged from the counters alone:
/// what reads of the due index would settle.
pub(super) fn suspects(counters: &CampaignCounters) -> (bool, bool) {
    if counters.quarantined <= 0 {
        return (false, false);
    }
    let slot = counters.in_flight > 0;
    // Set-aside leads each hold at most one open count: more open counts than set-aside
    // leads means some lead really is open.
    let open = counters.open() > 0 && counters.open() <= counters.quarantined;
    (slot, open)
}

impl<S: TickStore> Engine<S> {
    /// Asks for the counters' repair when set-aside leads are all that holds slots or keeps
    /// the campaign open (see the module docs).
    pub(super) async fn repair_set_aside_counts(
        &self,
        campaign: &CampaignRef,
        counters: &CampaignCounters,
        now: DateTime<Utc>,
    ) -> Result<Stale, EngineError> {
        let (slot, open) = suspects(counters);
        if !slot && !open {
            return Ok(Stale::No);
        }
        let far = now + FOREVER;
        let one = || DueBatch::up_to(1);
        let calls = (self.store)
            .due_leads(campaign, DueKind::CallDeadline, far, one(), 0)
            .await?;
        let stale = if !calls.is_empty() {
            Stale::No
        } else if slot {
            Stale::Slot
        } else if (self.store)
            .due_leads(campaign, DueKind::Dial, far, one(), 0)
            .await?
            .is_empty()
        {
            Stale::Open
        } else {
            Stale::No
        };
        if stale != Stale::No
            && let Some(queue) = &self.results
            && self.repairs_asked.due(campaign, now, REPAIR_EVERY)
        {
            tracing::warn!(campaign = %campaign, ?stale, "counters hold set-aside leads: repair asked");
            let job = ResultsJob::Reconcile {
                campaign: campaign.clone(),
                repair: true,
            };
            job.enqueue(queue.as_ref()).await?;
        }
        Ok(stale)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::lead::status_index;
    use domain::status::LeadStatus;

    fn counters(quarantined: i64, in_flight: i64, open: &[(LeadStatus, i64)]) -> CampaignCounters {
        let mut c = CampaignCounters {
            quarantined,
            in_flight,
            ..CampaignCounters::default()
        };
        c.by_status[status_index(LeadStatus::Completed)] = 5;
        for (status, n) in open {
            c.by_status[status_index(*status)] = *n;
        }
        c
    }

    #[test]
    fn a_campaign_with_no_set_aside_lead_is_never_suspected() {
        let c = counters(0, 2, &[(LeadStatus::Calling, 2), (LeadStatus::Pending, 1)]);
        assert_eq!(suspects(&c), (false, false));
    }

    #[test]
    fn open_counts_no_more_than_the_set_aside_leads_are_suspected() {
        let c = counters(1, 0, &[(LeadStatus::Pending, 1)]);
        assert_eq!(suspects(&c), (false, true));
        let c = counters(1, 0, &[(LeadStatus::Pending, 2)]);
        assert_eq!(suspects(&c), (false, false), "two open, one set aside");
        let c = counters(2, 1, &[(LeadStatus::Calling, 1)]);
        assert_eq!(suspects(&c), (true, true));
        let c = counters(1, 0, &[]);
        assert_eq!(suspects(&c), (false, false), "nothing open");
    }
}
