//! `campaigns`: the command line over the campaign API, for the local runner or a deployed
//! stack. The API's address and key come from flags or `CAMPAIGNS_URL` / `CAMPAIGNS_KEY`.
//! Tenant and key administration talks to the table directly (AWS credentials, `TABLE_NAME`).

use std::path::PathBuf;
use std::time::Duration;

use campaigns_cli::{ApiClient, ClientError};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

#[derive(Parser)]
#[command(
    name = "campaigns",
    version,
    about = "Outbound calling campaigns from the command line"
)]
struct Cli {
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
enum Command {
    /// Tenants and API keys (admin: needs AWS credentials and TABLE_NAME, not an API key).
    Admin {
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
}

#[derive(Subcommand)]
enum AdminCommand {
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
enum AgentCommand {
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
enum CampaignCommand {
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
enum DncCommand {
    /// Adds a number.
    Add { number: String },
    /// Removes a number.
    Remove { number: String },
    /// Whether a number is on the list.
    Check { number: String },
    /// Lists the list.
    List,
    /// Adds every number of a CSV.
    Upload { file: PathBuf },
}

fn print(value: &Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

fn read_json(path: &PathBuf) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let cli = Cli::parse();
    if let Err(err) = run(cli).await {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let api = ApiClient::new(&cli.url, &cli.key);
    match cli.command {
        Command::Admin { command } => admin(command).await?,
        Command::Agents { command } => match command {
            AgentCommand::List => print(&api.get("/v1/agents").await?),
            AgentCommand::Create { spec } => {
                print(&api.post("/v1/agents", &read_json(&spec)?).await?)
            }
            AgentCommand::Get { id } => print(&api.get(&format!("/v1/agents/{id}")).await?),
            AgentCommand::Delete { id } => {
                api.delete(&format!("/v1/agents/{id}")).await?;
                println!("deleted");
            }
        },
        Command::Campaigns { command } => campaigns(&api, command).await?,
        Command::Dnc { command } => match command {
            DncCommand::Add { number } => {
                print(&api.post("/v1/dnc", &json!({ "number": number })).await?)
            }
            DncCommand::Remove { number } => {
                api.post("/v1/dnc/remove", &json!({ "number": number }))
                    .await?;
                println!("removed");
            }
            DncCommand::Check { number } => print(
                &api.post("/v1/dnc/check", &json!({ "number": number }))
                    .await?,
            ),
            DncCommand::List => print(&api.get("/v1/dnc?limit=200").await?),
            DncCommand::Upload { file } => {
                let bytes = std::fs::read(&file)?;
                let response = reqwest::Client::new()
                    .post(format!("{}/v1/dnc/bulk", cli.url.trim_end_matches('/')))
                    .bearer_auth(&cli.key)
                    .header("content-type", "text/csv")
                    .body(bytes)
                    .send()
                    .await
                    .map_err(ClientError::from)?;
                let status = response.status();
                let body: Value = response.json().await.unwrap_or(Value::Null);
                if !status.is_success() {
                    anyhow::bail!(
                        "{} {}: {}",
                        status.as_u16(),
                        body["code"].as_str().unwrap_or(""),
                        body["detail"].as_str().unwrap_or("")
                    );
                }
                print(&body);
            }
        },
    }
    Ok(())
}

async fn campaigns(api: &ApiClient, command: CampaignCommand) -> anyhow::Result<()> {
    match command {
        CampaignCommand::List { status } => {
            let path = status.map_or("/v1/campaigns".to_owned(), |s| {
                format!("/v1/campaigns?status={s}")
            });
            print(&api.get(&path).await?);
        }
        CampaignCommand::Create { spec } => {
            print(&api.post("/v1/campaigns", &read_json(&spec)?).await?)
        }
        CampaignCommand::Get { id } => print(&api.get(&format!("/v1/campaigns/{id}")).await?),
        CampaignCommand::Upload { id, file } => upload(api, &id, &file).await?,
        CampaignCommand::Launch { id } => print(
            &api.post(&format!("/v1/campaigns/{id}/launch"), &json!({}))
                .await?,
        ),
        CampaignCommand::Pause { id } => print(
            &api.post(&format!("/v1/campaigns/{id}/pause"), &json!({}))
                .await?,
        ),
        CampaignCommand::Resume { id } => print(
            &api.post(&format!("/v1/campaigns/{id}/resume"), &json!({}))
                .await?,
        ),
        CampaignCommand::Cancel { id } => print(
            &api.post(&format!("/v1/campaigns/{id}/cancel"), &json!({}))
                .await?,
        ),
        CampaignCommand::Progress { id } => {
            print(&api.get(&format!("/v1/campaigns/{id}/progress")).await?)
        }
        CampaignCommand::Watch { id } => {
            campaigns_cli::watch::watch(api, &id, Duration::from_secs(1)).await?;
        }
        CampaignCommand::DryRun { id, sample } => print(
            &api.post(
                &format!("/v1/campaigns/{id}/dry-run?limit={sample}"),
                &json!({}),
            )
            .await?,
        ),
        CampaignCommand::Export { id } => export(api, &id).await?,
        CampaignCommand::Analytics { id } => {
            print(&api.get(&format!("/v1/campaigns/{id}/analytics")).await?)
        }
    }
    Ok(())
}

/// Uploads a contact list with a progress bar, then waits for and prints its import report.
async fn upload(api: &ApiClient, id: &str, file: &std::path::Path) -> anyhow::Result<()> {
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
            print(&report);
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Requests an export, waits for it and prints where it is.
async fn export(api: &ApiClient, id: &str) -> anyhow::Result<()> {
    let started = api
        .post(&format!("/v1/campaigns/{id}/exports"), &json!({}))
        .await?;
    let export = started["id"].as_str().unwrap_or_default().to_owned();
    loop {
        let status = api
            .get(&format!("/v1/campaigns/{id}/exports/{export}"))
            .await?;
        if status["status"] == "completed" || status["status"] == "failed" {
            print(&status);
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

async fn admin(command: AdminCommand) -> anyhow::Result<()> {
    let table =
        std::env::var("TABLE_NAME").map_err(|_| anyhow::anyhow!("TABLE_NAME is not set"))?;
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
            println!(
                "tenant {} created ({} plan)",
                record.id,
                record.plan.as_str()
            );
        }
        AdminCommand::IssueKey { tenant: id, label } => {
            let (record, key) = api::admin::issue_key(&store, &tenant(&id)?, &label, now).await?;
            eprintln!("key {} issued; it is shown once:", record.id);
            println!("{key}");
        }
        AdminCommand::ListKeys { tenant: id } => {
            for key in api::admin::list_keys(&store, &tenant(&id)?).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    key.id,
                    key.label,
                    key.created_at,
                    key.revoked_at
                        .map_or("active".into(), |t| format!("revoked {t}"))
                );
            }
        }
        AdminCommand::RevokeKey { tenant: id, key_id } => {
            let key = domain::ids::ApiKeyId::parse(key_id)?;
            api::admin::revoke_key(&store, &tenant(&id)?, &key, now).await?;
            println!("revoked");
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
            println!("caller numbers of {}: {}", record.id, numbers.join(" "));
        }
        AdminCommand::SetCountries {
            tenant: id,
            countries,
        } => {
            let record = api::admin::set_countries(&store, &tenant(&id)?, &countries).await?;
            println!(
                "countries of {}: {}",
                record.id,
                record.allowed_countries.join(" ")
            );
        }
    }
    Ok(())
}
