//! Reads the resources the emulator needs out of `template.yaml` (CloudFormation / SAM YAML,
//! short-form tags such as `!GetAtt` included).

use std::path::Path;

use serde_norway::Value;

/// The template could not be read or lacks something the emulator needs.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not YAML.
    #[error("template.yaml is not valid YAML: {0}")]
    Yaml(#[from] serde_norway::Error),
    /// A resource lacks a property the emulator needs, or has one of an unexpected shape.
    #[error("resource {resource}: {problem}")]
    Resource {
        /// The logical id.
        resource: String,
        /// What is wrong.
        problem: String,
    },
}

/// A DynamoDB table definition.
#[derive(Debug, Clone, PartialEq)]
pub struct TableSpec {
    /// Logical id in the template.
    pub logical_id: String,
    /// `AttributeDefinitions`: name -> S / N / B.
    pub attributes: Vec<(String, String)>,
    /// Partition key and optional sort key.
    pub key: (String, Option<String>),
    /// Global secondary indexes: name, partition key, optional sort key, projection type.
    pub indexes: Vec<IndexSpec>,
    /// The TTL attribute, if enabled.
    pub ttl_attribute: Option<String>,
}

/// A global secondary index definition.
#[derive(Debug, Clone, PartialEq)]
pub struct IndexSpec {
    /// Index name.
    pub name: String,
    pub partition_key: String,
    pub sort_key: Option<String>,
    /// ALL, KEYS_ONLY or INCLUDE.
    pub projection: String,
}

/// An SQS queue definition.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSpec {
    pub logical_id: String,
    /// Seconds.
    pub visibility_timeout: Option<i64>,
    /// Seconds.
    pub retention: Option<i64>,
    /// Dead-letter queue (logical id) and receive count.
    pub dead_letter: Option<(String, i64)>,
}

/// An S3 bucket and its queue notifications.
#[derive(Debug, Clone, PartialEq)]
pub struct BucketSpec {
    pub logical_id: String,
    /// Notifications: event, target queue (logical id), key prefix filter.
    pub queue_notifications: Vec<(String, String, Option<String>)>,
}

/// Everything the emulator creates.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResourceSpecs {
    pub tables: Vec<TableSpec>,
    /// Queues, dead-letter queues first.
    pub queues: Vec<QueueSpec>,
    pub buckets: Vec<BucketSpec>,
    /// Scheduler schedule groups (logical ids).
    pub schedule_groups: Vec<String>,
}

impl ResourceSpecs {
    /// Reads a template file.
    pub fn from_file(path: &Path) -> Result<Self, TemplateError> {
        let text = std::fs::read_to_string(path).map_err(|source| TemplateError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Self::from_yaml(&text)
    }

    /// Reads template text.
    pub fn from_yaml(text: &str) -> Result<Self, TemplateError> {
        let doc: Value = serde_norway::from_str(text)?;
        let mut specs = ResourceSpecs::default();
        let Some(resources) = doc.get("Resources").and_then(Value::as_mapping) else {
            return Ok(specs);
        };
        for (id, resource) in resources {
            let id = id.as_str().unwrap_or_default().to_owned();
            let kind = resource
                .get("Type")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let empty = Value::Mapping(Default::default());
            let props = resource.get("Properties").unwrap_or(&empty);
            match kind {
                "AWS::DynamoDB::Table" => specs.tables.push(table(&id, props)?),
                "AWS::SQS::Queue" => specs.queues.push(queue(&id, props)?),
                "AWS::S3::Bucket" => specs.buckets.push(bucket(&id, props)?),
                "AWS::Scheduler::ScheduleGroup" => specs.schedule_groups.push(id),
                _ => {}
            }
        }
        // Create dead-letter queues before the queues that point at them.
        specs.queues.sort_by_key(|q| q.dead_letter.is_some());
        Ok(specs)
    }
}

fn problem(resource: &str, problem: impl Into<String>) -> TemplateError {
    TemplateError::Resource {
        resource: resource.to_owned(),
        problem: problem.into(),
    }
}

fn str_at<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn key_schema(id: &str, schema: Option<&Value>) -> Result<(String, Option<String>), TemplateError> {
    let list = schema
        .and_then(Value::as_sequence)
        .ok_or_else(|| problem(id, "KeySchema missing"))?;
    let mut hash = None;
    let mut range = None;
    for element in list {
        let name =
            str_at(element, "AttributeName").ok_or_else(|| problem(id, "key without name"))?;
        match str_at(element, "KeyType") {
            Some("HASH") => hash = Some(name.to_owned()),
            Some("RANGE") => range = Some(name.to_owned()),
            other => return Err(problem(id, format!("unknown KeyType {other:?}"))),
        }
    }
    Ok((hash.ok_or_else(|| problem(id, "no HASH key"))?, range))
}

fn table(id: &str, props: &Value) -> Result<TableSpec, TemplateError> {
    let attributes = props
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .ok_or_else(|| problem(id, "AttributeDefinitions missing"))?
        .iter()
        .map(|a| {
            Ok((
                str_at(a, "AttributeName")
                    .ok_or_else(|| problem(id, "attribute without name"))?
                    .to_owned(),
                str_at(a, "AttributeType")
                    .ok_or_else(|| problem(id, "attribute without type"))?
                    .to_owned(),
            ))
        })
        .collect::<Result<Vec<_>, TemplateError>>()?;
    let key = key_schema(id, props.get("KeySchema"))?;
    let mut indexes = Vec::new();
    if let Some(list) = props
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
    {
        for index in list {
            let name =
                str_at(index, "IndexName").ok_or_else(|| problem(id, "index without name"))?;
            let (partition_key, sort_key) = key_schema(id, index.get("KeySchema"))?;
            let projection = index
                .get("Projection")
                .and_then(|p| str_at(p, "ProjectionType"))
                .unwrap_or("ALL")
                .to_owned();
            indexes.push(IndexSpec {
                name: name.to_owned(),
                partition_key,
                sort_key,
                projection,
            });
        }
    }
    let ttl_attribute = props
        .get("TimeToLiveSpecification")
        .filter(|t| t.get("Enabled").and_then(Value::as_bool).unwrap_or(false))
        .and_then(|t| str_at(t, "AttributeName"))
        .map(str::to_owned);
    Ok(TableSpec {
        logical_id: id.to_owned(),
        attributes,
        key,
        indexes,
        ttl_attribute,
    })
}

/// The logical id a `!GetAtt X.Arn` / `Fn::GetAtt: [X, Arn]` / `!Ref X` points at.
fn referenced_id(value: &Value) -> Option<String> {
    match value {
        Value::Tagged(tagged) => {
            let tag = tagged.tag.to_string();
            let inner = tagged.value.as_str()?;
            match tag.trim_start_matches('!') {
                "GetAtt" => inner.split('.').next().map(str::to_owned),
                "Ref" => Some(inner.to_owned()),
                _ => None,
            }
        }
        Value::Mapping(map) => {
            if let Some(args) = map.get("Fn::GetAtt").and_then(Value::as_sequence) {
                return args.first().and_then(Value::as_str).map(str::to_owned);
            }
            map.get("Ref").and_then(Value::as_str).map(str::to_owned)
        }
        _ => None,
    }
}

fn queue(id: &str, props: &Value) -> Result<QueueSpec, TemplateError> {
    let dead_letter = match props.get("RedrivePolicy") {
        None => None,
        Some(policy) => {
            let target = policy
                .get("deadLetterTargetArn")
                .and_then(referenced_id)
                .ok_or_else(|| problem(id, "deadLetterTargetArn must be !GetAtt <Queue>.Arn"))?;
            let count = policy
                .get("maxReceiveCount")
                .and_then(Value::as_i64)
                .ok_or_else(|| problem(id, "maxReceiveCount missing"))?;
            Some((target, count))
        }
    };
    Ok(QueueSpec {
        logical_id: id.to_owned(),
        visibility_timeout: props.get("VisibilityTimeout").and_then(Value::as_i64),
        retention: props.get("MessageRetentionPeriod").and_then(Value::as_i64),
        dead_letter,
    })
}

fn bucket(id: &str, props: &Value) -> Result<BucketSpec, TemplateError> {
    let mut queue_notifications = Vec::new();
    let configs = props
        .get("NotificationConfiguration")
        .and_then(|n| n.get("QueueConfigurations"))
        .and_then(Value::as_sequence);
    for config in configs.into_iter().flatten() {
        let event =
            str_at(config, "Event").ok_or_else(|| problem(id, "notification without Event"))?;
        let queue = config
            .get("Queue")
            .and_then(referenced_id)
            .ok_or_else(|| problem(id, "notification Queue must be !GetAtt <Queue>.Arn"))?;
        let prefix = config
            .get("Filter")
            .and_then(|f| f.get("S3Key"))
            .and_then(|k| k.get("Rules"))
            .and_then(Value::as_sequence)
            .and_then(|rules| {
                rules
                    .iter()
                    .find(|r| str_at(r, "Name") == Some("prefix"))
                    .and_then(|r| str_at(r, "Value"))
            })
            .map(str::to_owned);
        queue_notifications.push((event.to_owned(), queue, prefix));
    }
    Ok(BucketSpec {
        logical_id: id.to_owned(),
        queue_notifications,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_project_template_defines_what_the_emulator_creates() {
        let specs = ResourceSpecs::from_file(&crate::template_path()).unwrap();
        let table = &specs.tables[0];
        assert_eq!(table.key, ("pk".into(), Some("sk".into())));
        let index_names: Vec<&str> = table.indexes.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(index_names, vec!["due", "by_status"]);
        assert_eq!(table.ttl_attribute.as_deref(), Some("expires_at"));
        let dial = specs
            .queues
            .iter()
            .find(|q| q.logical_id == "DialQueue")
            .unwrap();
        assert_eq!(dial.dead_letter, Some(("DialDeadLetterQueue".into(), 5)));
        let first_redriven = specs
            .queues
            .iter()
            .position(|q| q.dead_letter.is_some())
            .unwrap();
        assert!(
            specs.queues[..first_redriven]
                .iter()
                .all(|q| q.dead_letter.is_none())
        );
        assert_eq!(
            specs.buckets[0].queue_notifications,
            vec![(
                "s3:ObjectCreated:*".into(),
                "ImportQueue".into(),
                Some("imports/".into())
            )]
        );
        assert_eq!(specs.schedule_groups, vec!["TickScheduleGroup".to_string()]);
    }

    #[test]
    fn long_form_intrinsics_are_understood_too() {
        let yaml = r#"
Resources:
  Dlq: { Type: AWS::SQS::Queue }
  Q:
    Type: AWS::SQS::Queue
    Properties:
      RedrivePolicy: { deadLetterTargetArn: { "Fn::GetAtt": [Dlq, Arn] }, maxReceiveCount: 3 }
"#;
        let specs = ResourceSpecs::from_yaml(yaml).unwrap();
        assert_eq!(specs.queues[1].dead_letter, Some(("Dlq".into(), 3)));
    }

    #[test]
    fn a_redrive_policy_without_a_target_is_reported() {
        let yaml = "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      RedrivePolicy: { maxReceiveCount: 3 }\n";
        let err = ResourceSpecs::from_yaml(yaml).unwrap_err();
        assert!(err.to_string().contains("deadLetterTargetArn"), "{err}");
    }
}
