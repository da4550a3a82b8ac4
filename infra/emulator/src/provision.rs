//! Creates the template's resources in the emulator under a name prefix.

use std::collections::BTreeMap;

use anyhow::Context;
use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, TimeToLiveSpecification,
};
use aws_sdk_s3::types::{
    Event, FilterRule, FilterRuleName, NotificationConfiguration, NotificationConfigurationFilter,
    QueueConfiguration, S3KeyFilter,
};
use aws_sdk_sqs::types::QueueAttributeName;

use crate::template::{BucketSpec, QueueSpec, ResourceSpecs, TableSpec};

/// Which environment variable carries each resource's name to the functions, by logical id.
/// The SAM template sets the same variables from the same resources.
pub const ENV_FOR_RESOURCE: &[(&str, &str)] = &[
    ("CampaignsTable", "TABLE_NAME"),
    ("DataBucket", "DATA_BUCKET"),
    ("DialQueue", "DIAL_QUEUE_URL"),
    ("ImportQueue", "IMPORT_QUEUE_URL"),
    ("TickScheduleGroup", "SCHEDULE_GROUP"),
];

/// What was created: physical names (queue URLs for queues) by logical id.
#[derive(Debug, Clone, Default)]
pub struct Provisioned {
    /// The prefix every name starts with.
    pub prefix: String,
    /// Physical name or URL by logical id.
    pub names: BTreeMap<String, String>,
    /// Queue ARNs by logical id.
    pub queue_arns: BTreeMap<String, String>,
}

impl Provisioned {
    /// The physical name (or queue URL) of a logical resource.
    pub fn name(&self, logical_id: &str) -> anyhow::Result<&str> {
        self.names
            .get(logical_id)
            .map(String::as_str)
            .with_context(|| format!("template.yaml has no resource {logical_id}"))
    }

    /// The environment the functions read, as `(variable, value)` pairs.
    pub fn env(&self) -> Vec<(String, String)> {
        ENV_FOR_RESOURCE
            .iter()
            .filter_map(|(id, var)| self.names.get(*id).map(|v| ((*var).to_owned(), v.clone())))
            .collect()
    }
}

/// Creates every resource of `specs` in the emulator, names prefixed with `prefix`.
pub async fn provision(
    config: &SdkConfig,
    specs: &ResourceSpecs,
    prefix: &str,
) -> anyhow::Result<Provisioned> {
    let mut out = Provisioned {
        prefix: prefix.to_owned(),
        ..Default::default()
    };
    let dynamodb = aws_sdk_dynamodb::Client::new(config);
    for table in &specs.tables {
        let name = format!("{prefix}-{}", table.logical_id);
        create_table(&dynamodb, table, &name).await?;
        out.names.insert(table.logical_id.clone(), name);
    }
    let sqs = aws_sdk_sqs::Client::new(config);
    for queue in &specs.queues {
        let (url, arn) =
            create_queue(&sqs, queue, &format!("{prefix}-{}", queue.logical_id), &out).await?;
        out.names.insert(queue.logical_id.clone(), url);
        out.queue_arns.insert(queue.logical_id.clone(), arn);
    }
    let s3 = crate::s3_client(config);
    for (i, bucket) in specs.buckets.iter().enumerate() {
        let name = format!("{prefix}-b{i}");
        create_bucket(&s3, bucket, &name, &out).await?;
        out.names.insert(bucket.logical_id.clone(), name);
    }
    let scheduler = aws_sdk_scheduler::Client::new(config);
    for group in &specs.schedule_groups {
        let name = format!("{prefix}-{group}");
        scheduler
            .create_schedule_group()
            .name(&name)
            .send()
            .await
            .with_context(|| format!("creating schedule group {name}"))?;
        out.names.insert(group.clone(), name);
    }
    Ok(out)
}

fn key(name: &str, kind: KeyType) -> anyhow::Result<KeySchemaElement> {
    Ok(KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()?)
}

fn keys(partition: &str, sort: Option<&str>) -> anyhow::Result<Vec<KeySchemaElement>> {
    let mut out = vec![key(partition, KeyType::Hash)?];
    if let Some(sort) = sort {
        out.push(key(sort, KeyType::Range)?);
    }
    Ok(out)
}

async fn create_table(
    client: &aws_sdk_dynamodb::Client,
    spec: &TableSpec,
    name: &str,
) -> anyhow::Result<()> {
    let mut request = client
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(keys(&spec.key.0, spec.key.1.as_deref())?));
    for (attr, kind) in &spec.attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(attr)
                .attribute_type(ScalarAttributeType::from(kind.as_str()))
                .build()?,
        );
    }
    for index in &spec.indexes {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(&index.name)
                .set_key_schema(Some(keys(&index.partition_key, index.sort_key.as_deref())?))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::from(index.projection.as_str()))
                        .build(),
                )
                .build()?,
        );
    }
    request
        .send()
        .await
        .with_context(|| format!("creating table {name}"))?;
    if let Some(attr) = &spec.ttl_attribute {
        client
            .update_time_to_live()
            .table_name(name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(attr)
                    .enabled(true)
                    .build()?,
            )
            .send()
            .await
            .with_context(|| format!("enabling TTL on {name}"))?;
    }
    Ok(())
}

async fn create_queue(
    client: &aws_sdk_sqs::Client,
    spec: &QueueSpec,
    name: &str,
    created: &Provisioned,
) -> anyhow::Result<(String, String)> {
    let mut request = client.create_queue().queue_name(name);
    if let Some(v) = spec.visibility_timeout {
        request = request.attributes(QueueAttributeName::VisibilityTimeout, v.to_string());
    }
    if let Some(v) = spec.retention {
        request = request.attributes(QueueAttributeName::MessageRetentionPeriod, v.to_string());
    }
    if let Some((target, count)) = &spec.dead_letter {
        let arn = created.queue_arns.get(target).with_context(|| {
            format!(
                "{}: dead-letter queue {target} is not defined",
                spec.logical_id
            )
        })?;
        let policy = serde_json::json!({ "deadLetterTargetArn": arn, "maxReceiveCount": count });
        request = request.attributes(QueueAttributeName::RedrivePolicy, policy.to_string());
    }
    let url = request
        .send()
        .await
        .with_context(|| format!("creating queue {name}"))?
        .queue_url
        .with_context(|| format!("no URL for queue {name}"))?;
    let arn = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await?
        .attributes
        .and_then(|mut a| a.remove(&QueueAttributeName::QueueArn))
        .with_context(|| format!("no ARN for queue {name}"))?;
    Ok((url, arn))
}

async fn create_bucket(
    client: &aws_sdk_s3::Client,
    spec: &BucketSpec,
    name: &str,
    created: &Provisioned,
) -> anyhow::Result<()> {
    client
        .create_bucket()
        .bucket(name)
        .send()
        .await
        .with_context(|| format!("creating bucket {name}"))?;
    if spec.queue_notifications.is_empty() {
        return Ok(());
    }
    let mut notifications = NotificationConfiguration::builder();
    for (event, queue, prefix) in &spec.queue_notifications {
        let arn = created.queue_arns.get(queue).with_context(|| {
            format!(
                "{}: notification queue {queue} is not defined",
                spec.logical_id
            )
        })?;
        let mut config = QueueConfiguration::builder()
            .queue_arn(arn)
            .events(Event::from(event.as_str()));
        if let Some(prefix) = prefix {
            config = config.filter(
                NotificationConfigurationFilter::builder()
                    .key(
                        S3KeyFilter::builder()
                            .filter_rules(
                                FilterRule::builder()
                                    .name(FilterRuleName::Prefix)
                                    .value(prefix)
                                    .build(),
                            )
                            .build(),
                    )
                    .build(),
            );
        }
        notifications = notifications.queue_configurations(config.build()?);
    }
    client
        .put_bucket_notification_configuration()
        .bucket(name)
        .notification_configuration(notifications.build())
        .send()
        .await
        .with_context(|| format!("configuring notifications of {name}"))?;
    Ok(())
}
