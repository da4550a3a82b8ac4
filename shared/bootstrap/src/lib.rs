//! What ties the engine to AWS, shared by the functions and the local runner: configuration
//! from the environment and the clients built once from it ([`wiring`]), the voice providers'
//! credentials from Secrets Manager ([`providers`]), the lead id key ([`lead_ids`]), and the
//! results worker's jobs
//! ([`results`]: exports and reconciliations, which still read the DynamoDB store and S3
//! directly rather than through ports). The engine itself depends on the domain and the ports
//! only.

pub mod lead_ids;
pub mod providers;
pub mod results;
pub mod wiring;
