//! Building AWS SDK clients once, at cold start.

use aws_config::{BehaviorVersion, SdkConfig};

/// Loads the SDK configuration from the environment (Lambda's role credentials and region in
/// the cloud). When `AWS_ENDPOINT_URL` is set, as for the local emulator, every client uses it.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest()).load().await
}

/// An S3 client; path-style addressing when an explicit endpoint is configured (the local
/// emulator has no per-bucket DNS names).
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let path_style = config.endpoint_url().is_some();
    let s3 = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(path_style)
        .build();
    aws_sdk_s3::Client::from_conf(s3)
}
