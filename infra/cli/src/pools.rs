//! `campaigns pools`: the tenant's named caller pools, which agents and campaigns call from
//! by name (`named_pool`).

use clap::Subcommand;
use serde_json::{Value, json};

use crate::ApiClient;

#[derive(Subcommand)]
pub enum PoolCommand {
    /// Lists the pools with their numbers, limits and health rules.
    List,
    /// Prints one pool.
    Get { name: String },
    /// Creates or replaces a pool from registered caller numbers; the dialers use the change
    /// within 30 s.
    Put {
        /// 1-40 lower-case letters, digits, '-' or '_'.
        name: String,
        /// Its numbers, any format with a country code (1-50).
        #[arg(required = true)]
        numbers: Vec<String>,
        /// The number used when none is nearer the contact (default: the first).
        #[arg(long)]
        default: Option<String>,
        /// Calls each number may start per UTC hour (default 30).
        #[arg(long, requires = "per_day")]
        per_hour: Option<u32>,
        /// Calls each number may start per UTC day (default 150).
        #[arg(long, requires = "per_hour")]
        per_day: Option<u32>,
    },
    /// Deletes a pool no agent and no live campaign uses.
    Delete { name: String },
}

/// A pool command's answer.
pub async fn run(api: &ApiClient, command: PoolCommand) -> anyhow::Result<Value> {
    Ok(match command {
        PoolCommand::List => api.get("/v1/caller-pools").await?,
        PoolCommand::Get { name } => api.get(&format!("/v1/caller-pools/{name}")).await?,
        PoolCommand::Put {
            name,
            numbers,
            default,
            per_hour,
            per_day,
        } => {
            let mut body = json!({ "numbers": numbers });
            if let Some(default) = default {
                body["default"] = json!(default);
            }
            if let (Some(per_hour), Some(per_day)) = (per_hour, per_day) {
                body["limits"] = json!({ "per_hour": per_hour, "per_day": per_day });
            }
            api.put(&format!("/v1/caller-pools/{name}"), &body).await?
        }
        PoolCommand::Delete { name } => {
            api.delete(&format!("/v1/caller-pools/{name}")).await?;
            json!({ "deleted": name })
        }
    })
}
