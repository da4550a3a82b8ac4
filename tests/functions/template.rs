//! The SAM template and the function crates agree: every crate under `functions/` has a
//! function resource built from it, and each resource sets exactly the environment variables
//! its code reads (a variable read but not set fails the cold start; one set but never read
//! is a stale knob).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_norway::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Variables a function reads only where it runs outside Lambda (documented in docs/operations.md).
const LOCAL_ONLY: &[&str] = &["PROVIDER_SECRET_JSON"];

/// The variables a function's `main.rs` reads: literal names passed to `var(...)` /
/// `required_var(...)`, plus those of the shared loaders it calls.
fn variables_read(main_rs: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, _) in main_rs.match_indices("var(\"") {
        let rest = &main_rs[i + 5..];
        if let Some(end) = rest.find('"') {
            names.insert(rest[..end].to_owned());
        }
    }
    if main_rs.contains("AppConfig::from_env") {
        names.extend(bootstrap::wiring::ENV_VARS.iter().map(|v| (*v).to_owned()));
    }
    if main_rs.contains("providers::from_env") {
        names.extend(
            bootstrap::providers::ENV_VARS
                .iter()
                .map(|v| (*v).to_owned()),
        );
    }
    if main_rs.contains("providers::pacing_from_env") {
        names.extend(
            bootstrap::providers::PACING_ENV_VARS
                .iter()
                .map(|v| (*v).to_owned()),
        );
    }
    if main_rs.contains("public_base_url(") {
        names.insert(bootstrap::wiring::PROVIDER_BASE_URL.to_owned());
    }
    if main_rs.contains("call_token_key(") {
        names.insert(bootstrap::lead_ids::CALL_TOKEN_SECRET_ARN.to_owned());
    }
    names.retain(|n| !LOCAL_ONLY.contains(&n.as_str()));
    names
}

/// Function resources by the binary they are built from, with their environment.
fn template_functions() -> BTreeMap<String, (String, BTreeSet<String>)> {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let doc: Value = serde_norway::from_str(&text).unwrap();
    let mut out = BTreeMap::new();
    for (id, resource) in doc["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let id = id.as_str().unwrap().to_owned();
        assert_eq!(
            resource["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda"),
            "{id} is built by cargo-lambda"
        );
        let binary = resource["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{id} names its binary"))
            .to_owned();
        let vars = resource["Properties"]["Environment"]["Variables"]
            .as_mapping()
            .map(|m| {
                m.keys()
                    .filter_map(|k| k.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        out.insert(binary, (id, vars));
    }
    out
}

/// Function crates: (binary name, main.rs).
fn function_crates() -> Vec<(String, String)> {
    let mut crates = Vec::new();
    for entry in std::fs::read_dir(root().join("functions")).unwrap() {
        let dir = entry.unwrap().path();
        let manifest = dir.join("Cargo.toml");
        if !manifest.exists() {
            continue;
        }
        let text = std::fs::read_to_string(&manifest).unwrap();
        let bin = text
            .split("[[bin]]")
            .nth(1)
            .and_then(|b| b.lines().find_map(|l| l.trim().strip_prefix("name = ")))
            .map(|n| n.trim_matches('"').to_owned())
            .unwrap_or_else(|| panic!("{} has a [[bin]]", manifest.display()));
        let main = std::fs::read_to_string(dir.join("src/main.rs")).unwrap();
        crates.push((bin, main));
    }
    crates.sort();
    crates
}

#[test]
fn every_function_crate_has_a_template_resource_and_every_resource_a_crate() {
    let template = template_functions();
    let crates = function_crates();
    assert!(crates.len() >= 6, "{crates:?}");
    let crate_bins: BTreeSet<&str> = crates.iter().map(|(b, _)| b.as_str()).collect();
    let template_bins: BTreeSet<&str> = template.keys().map(String::as_str).collect();
    assert_eq!(crate_bins, template_bins);
}

#[test]
fn each_function_gets_exactly_the_environment_its_code_reads() {
    let template = template_functions();
    let mut problems = Vec::new();
    for (bin, main) in function_crates() {
        let read = variables_read(&main);
        let (id, set) = &template[&bin];
        for missing in read.difference(set) {
            problems.push(format!(
                "{id} ({bin}) reads {missing}, which the template does not set"
            ));
        }
        for unused in set.difference(&read) {
            problems.push(format!(
                "{id} ({bin}) is given {unused}, which its code never reads"
            ));
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_scan_finds_literal_and_shared_variables() {
    let read = variables_read(
        r#"let a = required_var("A_B")?; std::env::var("C"); AppConfig::from_env()?;"#,
    );
    assert!(
        read.contains("A_B") && read.contains("C") && read.contains("TABLE_NAME"),
        "{read:?}"
    );
}

/// The template's resources.
fn resources() -> Value {
    let text = std::fs::read_to_string(root().join("template.yaml")).unwrap();
    let doc: Value = serde_norway::from_str(&text).unwrap();
    doc["Resources"].clone()
}

#[test]
fn provider_callbacks_have_an_api_and_a_throttle_of_their_own() {
    let resources = resources();
    let events = &resources["CallEventsFunction"]["Properties"]["Events"];
    let mut paths = Vec::new();
    for (_, event) in events.as_mapping().unwrap() {
        let api = &event["Properties"]["ApiId"];
        assert_eq!(
            serde_norway::to_string(api).unwrap().trim(),
            "!Ref ProviderApi",
            "every provider route is on the provider API"
        );
        paths.push(event["Properties"]["Path"].as_str().unwrap().to_owned());
    }
    paths.sort();
    assert_eq!(
        paths,
        [
            "/v1/call-events/{proxy+}",
            "/v1/call-flow/{proxy+}",
            "/v1/call-reports"
        ]
    );
    let provider = &resources["ProviderApi"]["Properties"]["DefaultRouteSettings"];
    assert_eq!(
        serde_norway::to_string(&provider["ThrottlingRateLimit"])
            .unwrap()
            .trim(),
        "!Ref ProviderRequestsPerSecond"
    );
    // The dialer hands providers the provider API's URL.
    let base =
        &resources["DialerFunction"]["Properties"]["Environment"]["Variables"]["PROVIDER_BASE_URL"];
    assert!(
        serde_norway::to_string(base)
            .unwrap()
            .contains("${ProviderApi}"),
        "{base:?}"
    );
    // The tenant API serves none of the provider routes.
    let api_events = &resources["ApiFunction"]["Properties"]["Events"];
    for (_, event) in api_events.as_mapping().unwrap() {
        let path = event["Properties"]["Path"].as_str().unwrap_or_default();
        assert!(!path.starts_with("/v1/call-"), "{path}");
    }
}

#[test]
fn refused_provider_credentials_raise_an_alarm() {
    let alarm = &resources()["ProviderCredentialsAlarm"]["Properties"];
    assert_eq!(alarm["MetricName"].as_str(), Some("ProviderErrors"));
    let dims = serde_norway::to_string(&alarm["Dimensions"]).unwrap();
    assert!(
        dims.contains("credentials") && dims.contains("dialer"),
        "{dims}"
    );
}

#[test]
fn a_webhook_queue_falling_behind_raises_an_alarm_and_batches_run_at_once() {
    let resources = resources();
    let alarm = &resources["WebhookBacklogAlarm"]["Properties"];
    assert_eq!(
        alarm["MetricName"].as_str(),
        Some("ApproximateAgeOfOldestMessage")
    );
    let dims = serde_norway::to_string(&alarm["Dimensions"]).unwrap();
    assert!(dims.contains("WebhookQueue"), "{dims}");
    assert!(alarm["Threshold"].as_u64().is_some_and(|t| t <= 900));
    let jobs = &resources["WebhooksFunction"]["Properties"]["Events"]["Jobs"]["Properties"];
    assert!(jobs["BatchSize"].as_u64().is_some_and(|b| b > 1));
}

/// Least privilege on the table: every function's DynamoDB rights are statements scoped by
/// `dynamodb:LeadingKeys` to kinds of partition the store really has, never a table-wide policy
/// template, never `Scan` (a request without a key passes a `ForAllValues` condition).
#[test]
fn each_function_reaches_only_the_table_partitions_its_policy_names() {
    let grants = system_tests::table_policy::table_grants(&root().join("template.yaml"));
    let known = adapters::store::keys::PARTITION_PREFIXES;
    assert_eq!(grants.len(), function_crates().len());
    for (binary, (statements, named)) in &grants {
        for template in named {
            assert!(
                !template.starts_with("DynamoDB"),
                "{binary} uses the table-wide {template}"
            );
        }
        assert!(!statements.is_empty(), "{binary} has no table statement");
        for grant in statements {
            let what = format!("{binary} {}", grant.sid);
            assert!(!grant.leading_keys.is_empty(), "{what}: no LeadingKeys");
            for pattern in &grant.leading_keys {
                let prefix = pattern.strip_suffix('*').unwrap_or(pattern);
                assert!(known.contains(&prefix), "{what}: {pattern} is no partition");
            }
            for action in &grant.actions {
                assert!(
                    !["Scan", "*"].contains(&action.as_str()) && !action.contains('*'),
                    "{what}: dynamodb:{action}"
                );
            }
            if grant.on_index {
                assert_eq!(grant.actions, ["Query".to_owned()].into(), "{what}");
            }
        }
    }
    // The rooms only one function has the key to.
    let reaches = |binary: &str, prefix: &str| {
        grants[binary]
            .0
            .iter()
            .any(|g| g.leading_keys.iter().any(|p| p == &format!("{prefix}*")))
    };
    for (prefix, only) in [
        ("KEY#", "api"),
        ("RATE#", "api"),
        ("CPS#", "dialer"),
        ("DEMAND#", "dialer"),
    ] {
        for binary in grants.keys() {
            assert_eq!(
                reaches(binary, prefix),
                binary == only,
                "{binary} and {prefix}"
            );
        }
    }
}

/// The functions that place no call (the API, the tick) pace by the accounts' calls per second,
/// a plain parameter, and are never given the providers' credentials.
#[test]
fn the_functions_that_place_no_call_hold_no_provider_credentials() {
    let resources = resources();
    for id in ["ApiFunction", "TickFunction"] {
        let function = serde_norway::to_string(&resources[id]).unwrap();
        assert!(!function.contains("ProviderSecret"), "{id}: {function}");
        let vars = &resources[id]["Properties"]["Environment"]["Variables"];
        assert!(!vars["PROVIDER_CALLS_PER_SECOND"].is_null(), "{id}");
    }
    let dialer = serde_norway::to_string(&resources["DialerFunction"]).unwrap();
    assert!(
        dialer.contains("ProviderSecret"),
        "the dialer places the calls"
    );
}
