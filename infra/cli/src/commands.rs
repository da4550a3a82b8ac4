//! The `campaigns` command's arguments and what each command does, writing its answer to the
//! given output (stdout for the binary, a buffer in tests). The API's address and key come
//! from flags or `CAMPAIGNS_URL` / `CAMPAIGNS_KEY`. Tenant and key administration talks to the
//! table directly (AWS credentials, `--table` or `TABLE_NAME`).

use std::path::PathBuf;
use std::time::Duration;

use std::io::Write;

use crate::ApiClient;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "campaigns",
    version,
    about = "Outbound calling campaigns from the command line"
)]
pub struct Cli {
    /// API base URL.
    #[arg(
        long,
        env = "CAMPAIGNS_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    url: String,
    /// API key.
    #[arg(
        long,
        env = "CAMPAIGNS_KEY",
        default_value = "",
        global = true,
        hide_env_values = true
    )]
    key: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Tenants and API keys (admin: needs AWS credentials and the table, not an API key).
    Admin {
        /// The deployment's DynamoDB table.
        #[arg(long, env = "TABLE_NAME")]
        table: String,
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// AI voice agents.
    Agents {
        #[command(subcommand)]
        command: AgentCommand,
    },
    /// Campaigns.
    Campaigns {
        #[command(subcommand)]
        command: CampaignCommand,
    },
    /// The Do-Not-Call list.
    Dnc {
        #[command(subcommand)]
        command: DncCommand,
    },
    /// The tenant's caller numbers: each one's day (calls, answer rate) and rest.
    Numbers {
        #[command(subcommand)]
        command: NumberCommand,
    },
    /// Named caller pools, which agents and campaigns call from (`named_pool`).
    Pools {
        #[command(subcommand)]
        command: crate::pools::PoolCommand,
    },
    /// Government do-not-call registries: the tenant's extracts, checked by telemarketing calls.
    Registries {
        #[command(subcommand)]
        command: RegistryCommand,
    },
    /// A person's data: erase their number from everything the tenant holds.
    Privacy {
        #[command(subcommand)]
        command: crate::privacy::PrivacyCommand,
    },
}

#[derive(Subcommand)]
pub enum RegistryCommand {
    /// Lists each registry with the tenant's newest extract and its age, and recent uploads.
    List,
    /// Uploads an extract (the registry's download: one number a line); the importer loads it.
    Upload {
        /// `us_national_dnc`, `ca_national_dncl`, `uk_tps` or `au_dncr`.
        registry: String,
        /// The day it was downloaded from the registry, `2026-06-01`.
        #[arg(long)]
        downloaded_on: String,
        file: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum NumberCommand {
    /// Lists the numbers with their figures for a UTC day (today by default).
    List {
        /// The day, `2026-06-10`.
        #[arg(long)]
        day: Option<String>,
    },
    /// Rests a number by hand: the dialers skip it until the rest ends.
    Rest {
        number: String,
        /// How long, in hours (1-720).
        #[arg(long, default_value_t = 24)]
        hours: u32,
        /// Why.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Ends a number's rest.
    Restore { number: String },
}

#[derive(Subcommand)]
pub enum AdminCommand {
    /// Creates a tenant.
    CreateTenant {
        id: String,
        plan: String,
        #[arg(long)]
        name: Option<String>,
    },
    /// Issues a key (printed once).
    IssueKey {
        tenant: String,
        #[arg(long, default_value = "cli")]
        label: String,
    },
    /// Lists a tenant's keys.
    ListKeys { tenant: String },
    /// Revokes a key.
    RevokeKey { tenant: String, key_id: String },
    /// Sets the numbers the tenant's agents may call from (replaces the list).
    SetCallerNumbers {
        tenant: String,
        #[arg(required = true)]
        numbers: Vec<String>,
    },
    /// Sets the countries (ISO codes) the tenant's leads and transfers may be in.
    SetCountries {
        tenant: String,
        #[arg(required = true)]
        countries: Vec<String>,
    },
}

#[derive(Subcommand)]
pub enum AgentCommand {
    /// Lists agents.
    List,
    /// Creates an agent from a JSON file (AgentSpec).
    Create { spec: PathBuf },
    /// Shows an agent.
    Get { id: String },
    /// Deletes an agent.
    Delete { id: String },
}

#[derive(Subcommand)]
pub enum CampaignCommand {
    /// Lists campaigns.
    List {
        #[arg(long)]
        status: Option<String>,
    },
    /// Creates a campaign from a JSON file (CampaignSpec).
    Create { spec: PathBuf },
    /// Shows a campaign.
    Get { id: String },
    /// Uploads a CSV of contacts and waits for its import report.
    Upload { id: String, file: PathBuf },
    /// Launches a campaign.
    Launch { id: String },
    /// Pauses it.
    Pause { id: String },
    /// Resumes it.
    Resume { id: String },
    /// Cancels it.
    Cancel { id: String },
    /// Shows progress once.
    Progress { id: String },
    /// Watches progress live until the campaign ends.
    Watch { id: String },
    /// Projects first dial times for a sample of leads.
    DryRun {
        id: String,
        #[arg(long, default_value_t = 20)]
        sample: u32,
    },
    /// Exports results and prints the download URL.
    Export { id: String },
    /// Shows analytics.
    Analytics { id: String },
}

#[derive(Subcommand)]
pub enum DncCommand {
    /// Adds a number.
    Add { number: String },
    /// Removes a number.
    Remove { number: String },
    /// Whether a number is on the list.
    Check { number: String },
    /// Lists the list.
    List,
    /// Adds every number of a CSV (the phone column, or the first column).
    Upload {
        file: PathBuf,
        /// Region for numbers without a country code (default US).
        #[arg(long)]
        default_region: Option<String>,
    },
}

fn print(out: &mut dyn Write, value: &Value) -> std::io::Result<()> {
    writeln!(
        out,
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    )
}

fn read_json(path: &PathBuf) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Runs one command, writing its answer to `out`.
pub async fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<()> {
    let api = ApiClient::new(&cli.url, &cli.key);
    match cli.command {
        Command::Admin { table, command } => admin(table, command, out).await,
        Command::Agents { command } => {
            let answer = match command {
                AgentCommand::List => api.get("/v1/agents").await?,
                AgentCommand::Create { spec } => api.post("/v1/agents", &read_json(&spec)?).await?,
                AgentCommand::Get { id } => api.get(&format!("/v1/agents/{id}")).await?,
                AgentCommand::Delete { id } => {
                    api.delete(&format!("/v1/agents/{id}")).await?;
                    json!({ "deleted": id })
                }
            };
            Ok(print(out, &answer)?)
        }
        Command::Campaigns { command } => campaigns(&api, command, out).await,
        Command::Dnc { command } => {
            let answer = dnc(&api, command).await?;
            Ok(print(out, &answer)?)
        }
        Command::Numbers { command } => {
            let answer = numbers(&api, command).await?;
            Ok(print(out, &answer)?)
        }
        Command::Registries { command } => {
            let answer = registries(&api, command).await?;
            Ok(print(out, &answer)?)
        }
        Command::Privacy { command } => {
            let answer = crate::privacy::run(&api, command).await?;
            Ok(print(out, &answer)?)
        }
        Command::Pools { command } => {
            let answer = crate::pools::run(&api, command).await?;
            Ok(print(out, &answer)?)
        }
    }
}

/// The registry commands' answers.
async fn registries(api: &ApiClient, command: RegistryCommand) -> anyhow::Result<Value> {
    Ok(match command {
        RegistryCommand::List => api.get("/v1/registries").await?,
        RegistryCommand::Upload {
            registry,
            downloaded_on,
            file,
        } => {
            let bytes =
                std::fs::read(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let path = format!("/v1/registries/{registry}/extracts");
            let body = json!({ "downloaded_on": downloaded_on });
            let upload = api.upload(&path, body, "text/plain", bytes, |_| {}).await?;
            upload["extract"].clone()
        }
    })
}

/// The caller-number commands' answers.
async fn numbers(api: &ApiClient, command: NumberCommand) -> anyhow::Result<Value> {
    // A `+` in a path is a plus, but some proxies read it as a space: always escaped.
    let rest_path =
        |number: &str| format!("/v1/caller-numbers/{}/rest", number.replace('+', "%2B"));
    Ok(match command {
        NumberCommand::List { day } => match day {
            Some(day) => api.get(&format!("/v1/caller-numbers?day={day}")).await?,
            None => api.get("/v1/caller-numbers").await?,
        },
        NumberCommand::Rest {
            number,
            hours,
            reason,
        } => {
            let mut body = json!({ "hours": hours });
            if let Some(reason) = reason {
                body["reason"] = json!(reason);
            }
            api.post(&rest_path(&number), &body).await?
        }
        NumberCommand::Restore { number } => {
            api.delete(&rest_path(&number)).await?;
            json!({ "restored": number })
        }
    })
}

/// The Do-Not-Call commands' answers.
async fn dnc(api: &ApiClient, command: DncCommand) -> anyhow::Result<Value> {
    let one = |number: String| json!({ "number": number });
    Ok(match command {
        DncCommand::Add { number } => api.post("/v1/dnc", &one(number)).await?,
        DncCommand::Remove { number } => {
            let removal = api.post("/v1/dnc/remove", &one(number)).await?;
            // 204: the number was not on the list.
            if removal.is_null() {
                json!({ "removed": false })
            } else {
                removal
            }
        }
        DncCommand::Check { number } => api.post("/v1/dnc/check", &one(number)).await?,
        DncCommand::List => api.get("/v1/dnc?limit=200").await?,
        DncCommand::Upload {
            file,
            default_region,
        } => {
            let bytes =
                std::fs::read(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            let path = match default_region {
                Some(region) => format!("/v1/dnc/bulk?default_region={region}"),
                None => "/v1/dnc/bulk".to_owned(),
            };
            api.post_csv(&path, bytes).await?
        }
    })
}

async fn campaigns(
    api: &ApiClient,
    command: CampaignCommand,
    out: &mut dyn Write,
) -> anyhow::Result<()> {
    let action = |id: &str, verb: &str| format!("/v1/campaigns/{id}/{verb}");
    let answer = match command {
        CampaignCommand::List { status } => {
            let path = status.map_or("/v1/campaigns".to_owned(), |s| {
                format!("/v1/campaigns?status={s}")
            });
            api.get(&path).await?
        }
        CampaignCommand::Create { spec } => api.post("/v1/campaigns", &read_json(&spec)?).await?,
        CampaignCommand::Get { id } => api.get(&format!("/v1/campaigns/{id}")).await?,
        CampaignCommand::Upload { id, file } => upload(api, &id, &file).await?,
        CampaignCommand::Launch { id } => api.post(&action(&id, "launch"), &json!({})).await?,
        CampaignCommand::Pause { id } => api.post(&action(&id, "pause"), &json!({})).await?,
        CampaignCommand::Resume { id } => api.post(&action(&id, "resume"), &json!({})).await?,
        CampaignCommand::Cancel { id } => api.post(&action(&id, "cancel"), &json!({})).await?,
        CampaignCommand::Progress { id } => api.get(&action(&id, "progress")).await?,
        CampaignCommand::Watch { id } => {
            crate::watch::watch(api, &id, Duration::from_secs(1)).await?
        }
        CampaignCommand::DryRun { id, sample } => {
            let path = format!("/v1/campaigns/{id}/dry-run?limit={sample}");
            api.post(&path, &json!({})).await?
        }
        CampaignCommand::Export { id } => export(api, &id).await?,
        CampaignCommand::Analytics { id } => api.get(&action(&id, "analytics")).await?,
    };
    Ok(print(out, &answer)?)
}

/// Uploads a contact list with a progress bar, then waits for its import report.
async fn upload(api: &ApiClient, id: &str, file: &std::path::Path) -> anyhow::Result<Value> {
    let bytes = std::fs::read(file)?;
    let bar = ProgressBar::new(bytes.len() as u64).with_style(
        ProgressStyle::with_template("uploading [{bar:40}] {bytes}/{total_bytes}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = bar.clone();
    let import = api
        .upload_csv(id, bytes, move |sent| progress.set_position(sent))
        .await?;
    bar.finish();
    loop {
        let report = api
            .get(&format!("/v1/campaigns/{id}/imports/{import}"))
            .await?;
        if matches!(
            report["status"].as_str(),
            Some("completed" | "rejected" | "failed")
        ) {
            return Ok(report);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Requests an export and waits for it (its answer has the download URL).
async fn export(api: &ApiClient, id: &str) -> anyhow::Result<Value> {
    let started = api
        .post(&format!("/v1/campaigns/{id}/exports"), &json!({}))
        .await?;
    let export = started["id"].as_str().unwrap_or_default().to_owned();
    loop {
        let status = api
            .get(&format!("/v1/campaigns/{id}/exports/{export}"))
            .await?;
        if status["status"] == "completed" || status["status"] == "failed" {
            return Ok(status);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn admin(table: String, command: AdminCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    let sdk = adapters::aws::load_config().await;
    let store = adapters::store::DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let now = chrono::Utc::now();
    let tenant = |s: &str| domain::ids::TenantId::parse(s).map_err(anyhow::Error::from);
    match command {
        AdminCommand::CreateTenant { id, plan, name } => {
            let plan = domain::plan::Plan::parse(&plan).ok_or_else(|| {
                anyhow::anyhow!("plan must be starter, professional or enterprise")
            })?;
            let record = api::admin::create_tenant(
                &store,
                tenant(&id)?,
                name.as_deref().unwrap_or(&id),
                plan,
                now,
            )
            .await?;
            writeln!(
                out,
                "tenant {} created ({} plan)",
                record.id,
                record.plan.as_str()
            )?;
        }
        AdminCommand::IssueKey { tenant: id, label } => {
            let (record, key) = api::admin::issue_key(&store, &tenant(&id)?, &label, now).await?;
            eprintln!("key {} issued; it is shown once:", record.id);
            writeln!(out, "{key}")?;
        }
        AdminCommand::ListKeys { tenant: id } => {
            for key in api::admin::list_keys(&store, &tenant(&id)?).await? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{}",
                    key.id,
                    key.label,
                    key.created_at,
                    key.revoked_at
                        .map_or("active".into(), |t| format!("revoked {t}"))
                )?;
            }
        }
        AdminCommand::RevokeKey { tenant: id, key_id } => {
            let key = domain::ids::ApiKeyId::parse(key_id)?;
            api::admin::revoke_key(&store, &tenant(&id)?, &key, now).await?;
            writeln!(out, "revoked")?;
        }
        AdminCommand::SetCallerNumbers {
            tenant: id,
            numbers,
        } => {
            let record = api::admin::set_caller_numbers(&store, &tenant(&id)?, &numbers).await?;
            let numbers: Vec<String> = record
                .caller_numbers
                .iter()
                .map(|n| n.to_string())
                .collect();
            writeln!(
                out,
                "caller numbers of {}: {}",
                record.id,
                numbers.join(" ")
            )?;
        }
        AdminCommand::SetCountries {
            tenant: id,
            countries,
        } => {
            let record = api::admin::set_countries(&store, &tenant(&id)?, &countries).await?;
            writeln!(
                out,
                "countries of {}: {}",
                record.id,
                record.allowed_countries.join(" ")
            )?;
        }
    }
    Ok(())
}
