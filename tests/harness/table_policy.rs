//! The table rights template.yaml grants each function, read from the template itself: for
//! every function (by the binary it is built from), its DynamoDB statements — the actions, on
//! the table or its indexes, and the partitions `dynamodb:LeadingKeys` lets it touch. The
//! template test checks their shape; the end-to-end tests check every table access of a whole
//! run against them ([`violations`]).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use adapters::table_access::TableAccess;
use serde_norway::Value;

/// One DynamoDB statement of a function's policy.
#[derive(Debug, Clone)]
pub struct TableGrant {
    pub sid: String,
    /// Actions without the `dynamodb:` prefix.
    pub actions: BTreeSet<String>,
    /// On `table/index/*` rather than on the table.
    pub on_index: bool,
    /// The `dynamodb:LeadingKeys` patterns of a `ForAllValues:StringLike` condition (empty:
    /// no such condition).
    pub leading_keys: Vec<String>,
}

impl TableGrant {
    /// Whether this statement allows `access`.
    pub fn allows(&self, access: &TableAccess) -> bool {
        self.on_index == access.on_index
            && self.actions.contains(&access.action)
            && self
                .leading_keys
                .iter()
                .any(|pattern| like(pattern, &access.partition_prefix))
    }
}

/// IAM's `StringLike` for the patterns the template uses (a literal, then at most a final
/// `*`), against a partition prefix such as `T#` (every partition of that kind).
fn like(pattern: &str, partition_prefix: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(start) => partition_prefix.starts_with(start) && !start.contains('*'),
        None => false,
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Tagged(tagged) => text(&tagged.value),
        other => serde_norway::to_string(other).unwrap_or_default(),
    }
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(items) => items.iter().map(text).collect(),
        Value::Null => Vec::new(),
        one => vec![text(one)],
    }
}

/// The function's DynamoDB statements, by the binary it is built from; also the names of the
/// SAM policy templates each uses (to refuse the table-wide ones).
pub fn table_grants(template: &Path) -> BTreeMap<String, (Vec<TableGrant>, Vec<String>)> {
    let doc: Value = serde_norway::from_str(&std::fs::read_to_string(template).unwrap()).unwrap();
    let mut out = BTreeMap::new();
    for (_, resource) in doc["Resources"].as_mapping().unwrap() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        let binary = text(&resource["Metadata"]["BuildProperties"]["Binary"]);
        let mut grants = Vec::new();
        let mut named = Vec::new();
        for policy in resource["Properties"]["Policies"]
            .as_sequence()
            .into_iter()
            .flatten()
        {
            let Some(map) = policy.as_mapping() else {
                continue;
            };
            named.extend(map.keys().map(text).filter(|k| k != "Statement"));
            for statement in policy["Statement"].as_sequence().into_iter().flatten() {
                let actions: BTreeSet<String> = strings(&statement["Action"])
                    .into_iter()
                    .filter_map(|a| a.strip_prefix("dynamodb:").map(str::to_owned))
                    .collect();
                if actions.is_empty() {
                    continue;
                }
                let condition = &statement["Condition"]["ForAllValues:StringLike"];
                grants.push(TableGrant {
                    sid: text(&statement["Sid"]),
                    actions,
                    on_index: strings(&statement["Resource"])
                        .iter()
                        .all(|r| r.contains("/index/")),
                    leading_keys: strings(&condition["dynamodb:LeadingKeys"]),
                });
            }
        }
        out.insert(binary, (grants, named));
    }
    out
}

/// The accesses no statement of their function allows.
pub fn violations(template: &Path, accesses: &BTreeSet<TableAccess>) -> Vec<TableAccess> {
    let grants = table_grants(template);
    accesses
        .iter()
        .filter(|access| {
            !grants
                .get(&access.function)
                .is_some_and(|(grants, _)| grants.iter().any(|g| g.allows(access)))
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(action: &str, on_index: bool, prefix: &str) -> TableAccess {
        TableAccess {
            function: "tick".into(),
            action: action.into(),
            on_index,
            partition_prefix: prefix.into(),
        }
    }

    #[test]
    fn a_grant_allows_only_its_actions_on_its_partitions_and_its_resource() {
        let grant = TableGrant {
            sid: "T".into(),
            actions: ["GetItem".to_owned(), "Query".to_owned()].into(),
            on_index: false,
            leading_keys: vec!["C#*".into(), "L#*".into()],
        };
        assert!(grant.allows(&access("GetItem", false, "C#")));
        assert!(grant.allows(&access("Query", false, "L#")));
        assert!(!grant.allows(&access("PutItem", false, "C#")));
        assert!(!grant.allows(&access("GetItem", false, "CPS#")));
        assert!(!grant.allows(&access("Query", true, "L#")));
        assert!(!grant.allows(&access("GetItem", false, "?")));
    }
}
