//! The local AWS emulator's side of the project.
//!
//! Tests and the local runner talk to a moto server (started by `infra/emulator.sh`) through
//! the official AWS SDK for Rust. This crate points SDK clients at it and creates the table,
//! queues, bucket and schedule group **from `template.yaml`**, so local resources and cloud
//! resources come from one definition and cannot drift. Each test provisions its own copy
//! under a unique name prefix, so tests run in parallel without sharing state.

mod provision;
mod template;

pub use provision::{Provisioned, provision};
pub use template::{BucketSpec, QueueSpec, ResourceSpecs, TableSpec, TemplateError};

use std::path::PathBuf;

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// The environment variable holding the emulator's URL (the AWS SDKs' own name for it).
pub const ENDPOINT_ENV: &str = "AWS_ENDPOINT_URL";

/// The repository's `template.yaml`.
pub fn template_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../template.yaml")
}

/// The emulator's URL from the environment, with a message that says how to get one.
pub fn endpoint_from_env() -> anyhow::Result<String> {
    std::env::var(ENDPOINT_ENV).map_err(|_| {
        anyhow::anyhow!(
            "{ENDPOINT_ENV} is not set: these tests need the local AWS emulator. \
             Run them with ./infra/test.sh, or start one with `eval $(./infra/emulator.sh start)`"
        )
    })
}

/// SDK configuration for the emulator: its endpoint, static test credentials, us-east-1.
pub async fn sdk_config(endpoint: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .region(Region::new("us-east-1"))
        .test_credentials()
        .load()
        .await
}

/// An S3 client for the emulator (path-style addressing: no DNS for bucket names).
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let s3 = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}

/// A fresh, unique, lowercase name prefix (valid in table, queue and bucket names).
pub fn unique_prefix(label: &str) -> String {
    let clean: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(12)
        .collect();
    format!(
        "{}-{}",
        clean.trim_matches('-'),
        ulid::Ulid::generate().to_string().to_lowercase()
    )
}

/// A private copy of every template resource in the emulator, for one test.
#[derive(Debug, Clone)]
pub struct TestEnv {
    /// SDK configuration pointing at the emulator.
    pub config: SdkConfig,
    /// The resources, under a unique prefix.
    pub resources: Provisioned,
}

impl TestEnv {
    /// Provisions fresh resources named after `label` plus a unique suffix.
    pub async fn new(label: &str) -> anyhow::Result<Self> {
        let endpoint = endpoint_from_env()?;
        let config = sdk_config(&endpoint).await;
        let specs = ResourceSpecs::from_file(&template_path())?;
        let resources = provision(&config, &specs, &unique_prefix(label)).await?;
        Ok(Self { config, resources })
    }

    /// The table's name.
    pub fn table(&self) -> &str {
        self.resources.name("CampaignsTable").unwrap_or_default()
    }
}
