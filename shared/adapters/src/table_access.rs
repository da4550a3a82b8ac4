//! Recording what each function does to the table: an SDK interceptor that notes, for every
//! DynamoDB request, the IAM action it needs and the kind of partition it touches (the
//! partition key up to its first `#`), under the name of the function whose task sent it.
//! The local runner installs it so a test can check every access of a whole run against the
//! function's policy in template.yaml (least privilege that a new code path cannot silently
//! outgrow). Production code does not install it.
//!
//! IAM evaluates a transaction per item, as the underlying `PutItem`, `UpdateItem`,
//! `DeleteItem`, `GetItem` or `ConditionCheckItem`
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html>),
//! and `dynamodb:LeadingKeys` is the partition key value of each item, or of the index for a
//! query on an index
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html>);
//! the record follows both.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use serde_json::Value;

use crate::store::keys;

tokio::task_local! {
    /// The function (as its crate under `functions/` is named) on whose behalf the current
    /// task reaches the table.
    pub static CALLER: &'static str;
}

/// One kind of access: which function, which IAM action, on the table or an index, and the
/// partition's prefix (`T#`, `L#`, ...).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct TableAccess {
    pub function: String,
    pub action: String,
    pub on_index: bool,
    pub partition_prefix: String,
}

/// The accesses seen, each kind once. Requests from a task with no [`CALLER`] (a test's own
/// seeding and reading) are not recorded.
#[derive(Debug, Clone, Default)]
pub struct TableAccessLog(Arc<Mutex<BTreeSet<TableAccess>>>);

impl TableAccessLog {
    /// Every kind of access seen so far.
    pub fn accesses(&self) -> BTreeSet<TableAccess> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A partition key's kind: the value up to and including its first `#`.
pub fn partition_prefix(partition_key: &str) -> String {
    match partition_key.find('#') {
        Some(i) => partition_key[..=i].to_owned(),
        None => partition_key.to_owned(),
    }
}

fn string_at<'a>(value: &'a Value, attribute: &str) -> Option<&'a str> {
    value.get(attribute)?.get("S")?.as_str()
}

/// The (IAM action, on an index, partition key) triples a DynamoDB request body needs.
pub fn accesses_of(operation: &str, body: &Value) -> Vec<(String, bool, String)> {
    let unknown = || "?".to_owned();
    let key_of = |item: &Value| string_at(item, keys::PK).map_or_else(unknown, str::to_owned);
    let one = |action: &str, item: Option<&Value>| {
        vec![(action.to_owned(), false, item.map_or_else(unknown, key_of))]
    };
    match operation {
        "GetItem" | "UpdateItem" | "DeleteItem" => one(operation, body.get("Key")),
        "PutItem" => one(operation, body.get("Item")),
        "Query" => {
            // Every query of this store names its partition `:pk`.
            let values = body.get("ExpressionAttributeValues");
            let pk = values.and_then(|v| string_at(v, ":pk"));
            vec![(
                operation.to_owned(),
                body.get("IndexName").is_some(),
                pk.map_or_else(unknown, str::to_owned),
            )]
        }
        "TransactWriteItems" | "TransactGetItems" => transaction_accesses(body),
        "BatchGetItem" | "BatchWriteItem" => batch_accesses(operation, body),
        other => vec![(other.to_owned(), false, unknown())],
    }
}

fn transaction_accesses(body: &Value) -> Vec<(String, bool, String)> {
    let items = body.get("TransactItems").and_then(Value::as_array);
    let mut out = Vec::new();
    for item in items.into_iter().flatten() {
        for (member, action, field) in [
            ("Put", "PutItem", "Item"),
            ("Update", "UpdateItem", "Key"),
            ("Delete", "DeleteItem", "Key"),
            ("ConditionCheck", "ConditionCheckItem", "Key"),
            ("Get", "GetItem", "Key"),
        ] {
            if let Some(part) = item.get(member) {
                let pk = part.get(field).and_then(|k| string_at(k, keys::PK));
                out.push((action.to_owned(), false, pk.unwrap_or("?").to_owned()));
            }
        }
    }
    out
}

fn batch_accesses(operation: &str, body: &Value) -> Vec<(String, bool, String)> {
    let tables = body.get("RequestItems").and_then(Value::as_object);
    let mut keys_seen = Vec::new();
    for request in tables.into_iter().flat_map(|t| t.values()) {
        // BatchGetItem: {"Keys": [...]}; BatchWriteItem: [{"PutRequest": {"Item"}} | {"DeleteRequest": {"Key"}}].
        let gets = request.get("Keys").and_then(Value::as_array);
        keys_seen.extend(gets.into_iter().flatten().cloned());
        for write in request.as_array().into_iter().flatten() {
            let put = write.get("PutRequest").and_then(|p| p.get("Item"));
            let delete = write.get("DeleteRequest").and_then(|d| d.get("Key"));
            keys_seen.extend(put.or(delete).cloned());
        }
    }
    keys_seen
        .iter()
        .map(|key| {
            let pk = string_at(key, keys::PK).unwrap_or("?");
            (operation.to_owned(), false, pk.to_owned())
        })
        .collect()
}

impl Intercept for TableAccessLog {
    fn name(&self) -> &'static str {
        "TableAccessLog"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(function) = CALLER.try_with(|caller| *caller) else {
            return Ok(());
        };
        let Some(metadata) = cfg.load::<Metadata>() else {
            return Ok(());
        };
        let body = context
            .request()
            .body()
            .bytes()
            .and_then(|b| serde_json::from_slice::<Value>(b).ok())
            .unwrap_or(Value::Null);
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for (action, on_index, pk) in accesses_of(metadata.name(), &body) {
            seen.insert(TableAccess {
                function: function.to_owned(),
                action,
                on_index,
                partition_prefix: partition_prefix(&pk),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_transaction_needs_each_items_own_action_on_its_partition() {
        let body = json!({"TransactItems": [
            {"Update": {"Key": {"pk": {"S": "C#t#c"}, "sk": {"S": "STATS"}}}},
            {"ConditionCheck": {"Key": {"pk": {"S": "DNC#t"}, "sk": {"S": "+1"}}}},
            {"Put": {"Item": {"pk": {"S": "EV#t"}, "sk": {"S": "e"}}}},
        ]});
        let seen: Vec<_> = accesses_of("TransactWriteItems", &body)
            .into_iter()
            .map(|(action, _, pk)| (action, partition_prefix(&pk)))
            .collect();
        assert_eq!(
            seen,
            [
                ("UpdateItem".to_owned(), "C#".to_owned()),
                ("ConditionCheckItem".to_owned(), "DNC#".to_owned()),
                ("PutItem".to_owned(), "EV#".to_owned()),
            ]
        );
    }

    #[test]
    fn a_query_on_an_index_is_checked_against_the_indexs_partition() {
        let body = json!({"IndexName": "due", "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": "D#t#c#dial#0"}, ":now": {"N": "1"}}});
        assert_eq!(
            accesses_of("Query", &body),
            [("Query".to_owned(), true, "D#t#c#dial#0".to_owned())]
        );
    }

    #[test]
    fn batch_writes_name_every_items_partition_and_unknown_shapes_show_as_unknown() {
        let body = json!({"RequestItems": {"table": [
            {"PutRequest": {"Item": {"pk": {"S": "L#t#c#1"}}}},
            {"DeleteRequest": {"Key": {"pk": {"S": "DNC#t"}}}},
        ]}});
        let prefixes: Vec<_> = accesses_of("BatchWriteItem", &body)
            .into_iter()
            .map(|(_, _, pk)| partition_prefix(&pk))
            .collect();
        assert_eq!(prefixes, ["L#", "DNC#"]);
        assert_eq!(accesses_of("Scan", &json!({}))[0].2, "?");
    }
}
