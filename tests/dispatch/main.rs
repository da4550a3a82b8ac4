//! The dispatch engine under fire: tick, dialers and webhooks against the local AWS emulator
//! and the simulated phone network, with every fault switched on, checked against the
//! promises of docs/ARCHITECTURE.md. `SIM_LEADS` and `SIM_WORLDS` scale the main scenario (the full run of 10,000+
//! attempts, six hostile worlds of 1,000 leads, ~30 minutes:
//! `SIM_LEADS=1000 SIM_WORLDS=6 cargo nextest run --profile long -p system-tests --test dispatch every_promise`).

mod account_lines;
mod adapters;
mod caller_numbers;
mod caller_pool;
mod consent;
mod erasure;
mod fair_share;
mod frequency;
mod full_reports;
mod guardrails;
mod lifecycle;
mod named_pools;
mod outages;
mod outbound_webhooks;
mod provider_events;
mod registries;
mod scenarios;
mod set_aside;
mod twilio_calls;
mod twilio_edges;
mod vapi_tools;
mod webhook_isolation;
