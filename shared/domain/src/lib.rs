//! The campaign engine's pure domain: everything that can be decided from plain values.
//!
//! No AWS, no async runtime, no network or file I/O lives here, so this crate compiles in
//! seconds and carries most of the unit and property tests. The adapters crate persists what
//! this crate decides; the Lambda handlers glue the two together.
//!
//! | module | what it decides |
//! |---|---|
//! | [`agent`] | AI voice agents and the voice settings a call needs |
//! | [`call_report`] | what the agent reports about a call, merged once per field |
//! | [`call_token`] | the per-call token the agent reports with |
//! | [`caller_choice`] | which of a pool's caller numbers a call goes out from (local presence) |
//! | [`caller_health`] | each caller number's day (calls, answers, talk time) and when one rests for a low answer rate |
//! | [`caller_limits`] | how many calls one caller number may start per hour and per day |
//! | [`import`] | reading contact CSVs: encodings, delimiters, headers, rows, limits |
//! | [`ids`] | identifiers, including the lead id derived from the campaign and the E.164 number |
//! | [`status`] | campaign and lead statuses and which actions move them |
//! | [`config`] | a campaign's validated configuration (parse, don't validate) |
//! | [`phone`] | E.164 normalization, candidate time zones and NANP area-code states |
//! | [`legal`] | the versioned table of legal calling hours (federal and state) |
//! | [`disclosures`] | what an AI voice owes at the start of a call, and whether the agent reported it |
//! | [`erasure`] | erasing a person: the keyed marker an erased number leaves, which file rows name a number, the record of what was erased |
//! | [`eligibility`] | whether a due lead may be dialed now (consent, window, daily caps) |
//! | [`holidays`] | the holidays those rules refer to |
//! | [`window`] | whether a lead may be called now, and if not, when it may next be |
//! | [`retry`] | what an attempt's outcome means for the lead: finish, retry or call back |
//! | [`pacing`] | how many leads a tick may start and when within the minute |
//! | [`plan`] | plan limits on live campaigns, and each plan's weight on a shared provider account |
//! | [`fair_share`] | how the tenants dialing on one provider account divide its calls per second |
//! | [`guardrails`] | when a campaign pauses itself: failure, throttling, opt-out and DNC-hit shares over a sliding window |
//! | [`lead`] | a lead's state and its transitions |
//! | [`webhooks`] | outbound webhooks: event types, endpoints, signatures, retries, safe targets |

pub mod agent;
pub mod call_report;
pub mod call_token;
pub mod caller_choice;
pub mod caller_health;
pub mod caller_limits;
pub mod caller_pool;
pub mod clearance;
pub mod config;
pub mod contact_caps;
pub mod disclosures;
pub mod eligibility;
pub mod erasure;
pub mod fair_share;
pub mod guardrails;
pub mod holidays;
pub mod ids;
pub mod import;
pub mod lead;
pub mod legal;
pub mod local_range;
pub mod pacing;
pub mod phone;
pub mod plan;
pub mod registry;
pub mod results;
pub mod retry;
pub mod status;
pub mod webhooks;
pub mod window;

pub use chrono;
pub use chrono_tz;
