//! The API against the local AWS emulator, through the router (and once through the Lambda
//! entry point's event conversion).

mod agents;
mod caller_numbers;
mod caller_pools;
mod campaigns;
mod console;
mod contact_caps;
mod contacts;
mod contract;
mod dnc;
mod first_tick;
mod isolation;
mod privacy;
mod registries;
mod results;
mod settings;
mod support;
mod tenancy;
mod webhooks;
mod wiring;
