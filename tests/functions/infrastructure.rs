//! What the SAM template promises about transport, rights and capacity: every queue and the
//! bucket refuse plain HTTP, the API's role can sign only the S3 requests its URLs need, and
//! the tick and the dialer keep concurrency an API burst cannot take.

use std::collections::BTreeSet;
use std::path::Path;

use serde_norway::Value;

fn template() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../template.yaml");
    serde_norway::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// `!Ref X` / `!GetAtt X.Arn` / `!Sub "${X.Arn}/*"` / plain strings as `X`, the logical id
/// (or the string itself).
fn referenced_id(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) => tagged.value.as_str().map(|s| {
            let s = s.strip_prefix("${").unwrap_or(s);
            s.split(['.', '}']).next().unwrap_or(s).to_owned()
        }),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn as_list(value: &Value) -> Vec<Value> {
    match value {
        Value::Sequence(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

fn resources_of(doc: &Value, kind: &str) -> Vec<(String, Value)> {
    doc["Resources"]
        .as_mapping()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(id, r)| (id.as_str().unwrap().to_owned(), r.clone()))
        .collect()
}

/// A Deny of every action of `service` to everyone when `aws:SecureTransport` is false,
/// returning the logical ids of the resources it names.
fn plain_http_denied(statement: &Value, service: &str) -> Option<BTreeSet<String>> {
    let denies_all = statement["Effect"].as_str() == Some("Deny")
        && statement["Principal"].as_str() == Some("*")
        && statement["Action"].as_str() == Some(&format!("{service}:*"))
        && statement["Condition"]["Bool"]["aws:SecureTransport"].as_str() == Some("false");
    denies_all.then(|| {
        as_list(&statement["Resource"])
            .iter()
            .filter_map(referenced_id)
            .collect()
    })
}

#[test]
fn every_queue_refuses_plain_http() {
    let doc = template();
    let queues: BTreeSet<String> = resources_of(&doc, "AWS::SQS::Queue")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut covered = BTreeSet::new();
    for (id, policy) in resources_of(&doc, "AWS::SQS::QueuePolicy") {
        let attached: BTreeSet<String> = as_list(&policy["Properties"]["Queues"])
            .iter()
            .filter_map(referenced_id)
            .collect();
        for statement in as_list(&policy["Properties"]["PolicyDocument"]["Statement"]) {
            if let Some(denied) = plain_http_denied(&statement, "sqs") {
                assert_eq!(denied, attached, "{id} denies plain HTTP on its own queues");
                covered.extend(denied);
            }
        }
    }
    assert_eq!(covered, queues, "queues without a TLS-only policy");
}

#[test]
fn the_bucket_refuses_plain_http_on_itself_and_its_objects() {
    let doc = template();
    let policies = resources_of(&doc, "AWS::S3::BucketPolicy");
    let policy = policies
        .iter()
        .find(|(_, p)| referenced_id(&p["Properties"]["Bucket"]).as_deref() == Some("DataBucket"))
        .expect("the data bucket has a policy");
    let statements = as_list(&policy.1["Properties"]["PolicyDocument"]["Statement"]);
    let denied = statements
        .iter()
        .find_map(|s| plain_http_denied(s, "s3"))
        .expect("a plain-HTTP deny");
    assert_eq!(denied, BTreeSet::from(["DataBucket".to_owned()]));
    let resources = as_list(&statements[0]["Resource"]);
    assert!(
        resources.iter().any(|r| match r {
            Value::Tagged(t) => t.value.as_str().is_some_and(|s| s.ends_with("/*")),
            _ => false,
        }),
        "the deny covers the bucket's objects, not only the bucket"
    );
}

/// (action, resource pattern) pairs the API function's inline statements grant on S3.
fn api_s3_grants(doc: &Value) -> BTreeSet<(String, String)> {
    let api = &doc["Resources"]["ApiFunction"]["Properties"]["Policies"];
    let mut grants = BTreeSet::new();
    for policy in as_list(api) {
        for statement in as_list(&policy["Statement"]) {
            let actions: Vec<String> = as_list(&statement["Action"])
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .filter(|a| a.starts_with("s3:"))
                .collect();
            for action in actions {
                for resource in as_list(&statement["Resource"]) {
                    let Value::Tagged(t) = &resource else {
                        panic!("S3 resources are written with !Sub: {resource:?}");
                    };
                    grants.insert((action.clone(), t.value.as_str().unwrap().to_owned()));
                }
            }
        }
    }
    grants
}

#[test]
fn the_api_can_sign_only_uploads_to_imports_and_downloads_of_reports_and_exports() {
    let grants = api_s3_grants(&template());
    let expected: BTreeSet<(String, String)> = [
        ("s3:PutObject", "${DataBucket.Arn}/imports/*"),
        ("s3:GetObject", "${DataBucket.Arn}/reports/*"),
        ("s3:GetObject", "${DataBucket.Arn}/exports/*"),
    ]
    .into_iter()
    .map(|(a, r)| (a.to_owned(), r.to_owned()))
    .collect();
    assert_eq!(grants, expected);
}

#[test]
fn tick_and_dialer_keep_reserved_concurrency() {
    let doc = template();
    let reserved = |function: &str| {
        referenced_id(&doc["Resources"][function]["Properties"]["ReservedConcurrentExecutions"])
    };
    assert_eq!(
        reserved("TickFunction").as_deref(),
        Some("TickReservedConcurrency")
    );
    let dialer_source =
        &doc["Resources"]["DialerFunction"]["Properties"]["Events"]["Dials"]["Properties"];
    assert_eq!(
        reserved("DialerFunction"),
        referenced_id(&dialer_source["ScalingConfig"]["MaximumConcurrency"]),
        "the dialer reserves what its event source may use at most"
    );
    let defaults: u64 = ["TickReservedConcurrency", "MaxConcurrentDialers"]
        .iter()
        .map(|p| doc["Parameters"][*p]["Default"].as_u64().unwrap())
        .sum();
    // Lambda keeps 100 of an account's default 1,000 unreserved; the rest is shared.
    assert!(defaults <= 900, "reserved by default: {defaults}");
}
