//! Tenant and key administration (not a public endpoint):
//!
//!   campaigns-admin tenant create <tenant-id> <plan: starter|professional|enterprise> [name]
//!   campaigns-admin key issue <tenant-id> [label]      prints the key once
//!   campaigns-admin key list <tenant-id>
//!   campaigns-admin key revoke <tenant-id> <key-id>
//!
//! Uses the AWS credentials of the environment and TABLE_NAME (AWS_ENDPOINT_URL for the local
//! emulator).

use adapters::store::DynamoStore;
use domain::ids::{ApiKeyId, TenantId};
use domain::plan::Plan;

fn usage() -> anyhow::Error {
    anyhow::anyhow!(
        "usage:\n  campaigns-admin tenant create <tenant-id> <starter|professional|enterprise> [name]\n  campaigns-admin key issue <tenant-id> [label]\n  campaigns-admin key list <tenant-id>\n  campaigns-admin key revoke <tenant-id> <key-id>"
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let table =
        std::env::var("TABLE_NAME").map_err(|_| anyhow::anyhow!("TABLE_NAME is not set"))?;
    let sdk = adapters::aws::load_config().await;
    let store = DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let now = chrono::Utc::now();
    let tenant = |s: &String| TenantId::parse(s.clone()).map_err(anyhow::Error::from);
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["tenant", "create", id, plan, rest @ ..] => {
            let plan = Plan::parse(plan).ok_or_else(usage)?;
            let name = if rest.is_empty() {
                id.to_string()
            } else {
                rest.join(" ")
            };
            let record =
                api::admin::create_tenant(&store, tenant(&id.to_string())?, &name, plan, now)
                    .await?;
            println!(
                "tenant {} created ({} plan)",
                record.id,
                record.plan.as_str()
            );
        }
        ["key", "issue", id, rest @ ..] => {
            let label = if rest.is_empty() {
                "default".to_owned()
            } else {
                rest.join(" ")
            };
            let (record, key) =
                api::admin::issue_key(&store, &tenant(&id.to_string())?, &label, now).await?;
            eprintln!(
                "key {} issued for tenant {}; store it now, it is not shown again:",
                record.id, record.tenant
            );
            println!("{key}");
        }
        ["key", "list", id] => {
            for key in api::admin::list_keys(&store, &tenant(&id.to_string())?).await? {
                let state = key
                    .revoked_at
                    .map_or("active".to_owned(), |t| format!("revoked {t}"));
                println!("{}\t{}\t{}\t{}", key.id, key.label, key.created_at, state);
            }
        }
        ["key", "revoke", id, key] => {
            let key = ApiKeyId::parse(key.to_string())?;
            let record =
                api::admin::revoke_key(&store, &tenant(&id.to_string())?, &key, now).await?;
            println!("key {} revoked", record.id);
        }
        _ => return Err(usage()),
    }
    Ok(())
}
