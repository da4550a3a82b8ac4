//! Building AWS SDK clients once, at cold start.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_runtime_api::client::http::SharedHttpClient;

/// The roots AWS service endpoints chain to: Amazon Trust Services' four roots and the
/// Starfield root that cross-signs them (each with its subject and SHA-256 fingerprint).
const AMAZON_TRUST_SERVICES_ROOTS: &str = include_str!("amazon-trust-services.pem");

/// Loads the SDK configuration from the environment (Lambda's role credentials and region in
/// the cloud). When `AWS_ENDPOINT_URL` is set, as for the local emulator, every client uses it.
pub async fn load_config() -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client(std::env::var_os("SSL_CERT_FILE").is_some()))
        .load()
        .await
}

/// The SDK clients' HTTP client. It trusts the Amazon Trust Services roots, the only ones AWS
/// endpoints present, unless `native_roots` (set `SSL_CERT_FILE` to name a bundle, say behind a
/// TLS-inspecting proxy): the SDK's default reads and parses the whole system store at cold
/// start, which was most of a function's init (`./infra/bench.sh cold-start`, BENCHMARKS.md).
pub fn http_client(native_roots: bool) -> SharedHttpClient {
    let trust = match native_roots {
        true => TrustStore::default(),
        false => TrustStore::empty()
            .with_native_roots(false)
            .with_pem_certificate(AMAZON_TRUST_SERVICES_ROOTS.as_bytes()),
    };
    let tls = TlsContext::builder().with_trust_store(trust).build();
    let builder = aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(
        tls::rustls_provider::CryptoMode::AwsLc,
    ));
    match tls {
        Ok(tls) => builder.tls_context(tls).build_https(),
        // Not reachable with the bundled roots (a test reads them); the SDK's default then.
        Err(_) => builder.build_https(),
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_roots_are_the_five_amazon_trust_services_roots() {
        let subjects: Vec<&str> = (AMAZON_TRUST_SERVICES_ROOTS.lines())
            .filter_map(|l| l.strip_prefix("# C = US, "))
            .collect();
        assert_eq!(subjects.len(), 5);
        for n in 1..=4 {
            assert!(subjects.contains(&format!("O = Amazon, CN = Amazon Root CA {n}").as_str()));
        }
        assert_eq!(
            AMAZON_TRUST_SERVICES_ROOTS
                .matches("-----BEGIN CERTIFICATE-----")
                .count(),
            5
        );
    }

    #[tokio::test]
    async fn a_client_on_the_bundled_roots_builds_and_sends() {
        // The roots are parsed when the client's connector is built (a panic on a bad PEM);
        // a request to a closed local port then fails as a connection error, not a panic.
        let sdk = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client(false))
            .endpoint_url("http://127.0.0.1:9")
            .region(aws_config::Region::new("us-east-1"))
            .test_credentials()
            .load()
            .await;
        let err = aws_sdk_dynamodb::Client::new(&sdk)
            .list_tables()
            .send()
            .await
            .expect_err("nothing listens on port 9");
        assert!(matches!(
            err,
            aws_sdk_dynamodb::error::SdkError::DispatchFailure(_)
        ));
    }
}
