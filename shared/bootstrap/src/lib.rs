//! What ties the engine to AWS, shared by the functions and the local runner: configuration
//! from the environment and the clients built once from it ([`wiring`]), the voice providers'
//! credentials from Secrets Manager ([`providers`]) and the lead id key ([`lead_ids`]). It wires
//! and does nothing else: every handler (the results jobs included, `engine::results`) lives
//! over the ports.

pub mod lead_ids;
pub mod providers;
pub mod wiring;

/// The string value of the Secrets Manager secret `arn` (`None`: it has none). The error says
/// which secret and why, never what it holds.
async fn secret_string(sdk: &aws_config::SdkConfig, arn: &str) -> Result<Option<String>, String> {
    let out = aws_sdk_secretsmanager::Client::new(sdk)
        .get_secret_value()
        .secret_id(arn)
        .send()
        .await
        .map_err(|e| {
            format!(
                "reading secret {arn}: {}",
                aws_sdk_secretsmanager::Error::from(e)
            )
        })?;
    Ok(out.secret_string)
}
