//! DynamoDB store integration tests against the local AWS emulator (moto server), through the
//! official AWS SDK. Each test provisions its own table from template.yaml.

mod account_lines;
mod counters;
mod guardrails;
mod guards;
mod leads;
mod number_calls;
mod quarantine;
mod support;
mod throttled;
mod webhooks;
