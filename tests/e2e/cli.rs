//! Every `campaigns` command against the local runner, parsed from its arguments as a user
//! types them and run through the same code as the binary: the operator's admin commands on
//! the table, then a tenant's agents, campaigns (upload to export, watched to completion) and
//! Do-Not-Call list and caller numbers over the HTTP API — and the errors a user meets.

use campaigns_cli::commands::{Cli, run};
use clap::Parser;
use local_runner::{Runner, RunnerConfig};
use serde_json::{Value, json};

/// The command line pointed at one runner.
struct Shell {
    url: String,
    table: String,
    key: String,
    dir: std::path::PathBuf,
}

impl Shell {
    /// Runs `campaigns --url … --key … {args}`; its output, or its error as the binary prints it.
    async fn run(&self, args: &[&str]) -> Result<String, String> {
        let line = ["campaigns", "--url", &self.url, "--key", &self.key]
            .into_iter()
            .chain(args.iter().copied());
        let cli = Cli::try_parse_from(line).map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        run(cli, &mut out).await.map_err(|e| e.to_string())?;
        Ok(String::from_utf8(out).unwrap())
    }

    /// A command that answers JSON.
    async fn json(&self, args: &[&str]) -> Value {
        let out = self
            .run(args)
            .await
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
    }

    /// An admin command (on the runner's table).
    async fn admin(&self, args: &[&str]) -> String {
        let line: Vec<&str> = ["admin", "--table", &self.table]
            .into_iter()
            .chain(args.iter().copied())
            .collect();
        self.run(&line)
            .await
            .unwrap_or_else(|e| panic!("{args:?}: {e}"))
    }

    /// Writes `text` to a file in the test's directory; its path.
    fn file(&self, name: &str, text: &str) -> String {
        let path = self.dir.join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_command_works_against_the_local_runner() {
    let start: chrono::DateTime<chrono::Utc> = "2026-06-08T14:00:00Z".parse().unwrap();
    let runner = Runner::start(RunnerConfig {
        port: 0,
        speed: 600.0,
        start_at: start,
        simulator: adapters::voice::simulator::SimulatorConfig::new(5, "cli-secret"),
        dialers: 2,
        prefix: emulator::unique_prefix("cli"),
        tenant_requests_per_second: None,
        table_access: crate::support::table_access(),
        isolation: Default::default(),
        provider: Default::default(),
    })
    .await
    .expect("the runner starts on the emulator");
    let dir = std::env::temp_dir().join(emulator::unique_prefix("cli-files"));
    std::fs::create_dir_all(&dir).unwrap();
    let mut shell = Shell {
        url: runner.base_url.clone(),
        table: runner.resources.name("CampaignsTable").unwrap().to_owned(),
        key: String::new(),
        dir,
    };
    shell.key = operator_sets_up_a_tenant(&shell).await;
    let retention = shell.json(&["privacy", "retention", "--days", "30"]).await;
    assert_eq!(retention["days"], 30, "{retention}");
    let campaign = a_campaign_runs_from_upload_to_export(&shell, start).await;
    a_campaign_is_cancelled_and_an_agent_deleted(&shell, start).await;
    the_do_not_call_list_is_kept(&shell).await;
    a_caller_number_is_rested_and_restored(&shell).await;
    a_named_pool_is_kept(&shell).await;
    a_registry_extract_is_uploaded_and_loaded(&shell).await;
    a_person_is_erased_with_the_export_already_written(&shell, &campaign).await;
    errors_read_as_the_api_gave_them(&shell, &campaign).await;
    crate::support::shutdown(runner).await;
}

/// `admin`: a tenant, its caller numbers and countries, a key issued and listed. Returns the key.
async fn operator_sets_up_a_tenant(shell: &Shell) -> String {
    let created = shell
        .admin(&["create-tenant", "cli-t", "professional"])
        .await;
    assert!(
        created.contains("tenant cli-t created (professional plan)"),
        "{created}"
    );
    let numbers = shell
        .admin(&["set-caller-numbers", "cli-t", "+1 415 555 0199"])
        .await;
    assert!(numbers.contains("+14155550199"), "{numbers}");
    let countries = shell.admin(&["set-countries", "cli-t", "US", "CA"]).await;
    assert!(
        countries.contains("US") && countries.contains("CA"),
        "{countries}"
    );
    let key = shell
        .admin(&["issue-key", "cli-t", "--label", "tests"])
        .await;
    let key = key.trim().to_owned();
    assert!(key.starts_with("ck."), "{key}");
    let key_id = key.split('.').nth(1).unwrap();
    let keys = shell.admin(&["list-keys", "cli-t"]).await;
    assert!(
        keys.contains(key_id) && keys.contains("tests") && keys.contains("active"),
        "{keys}"
    );
    key
}

/// `agents create|list|get`, `campaigns create|list|get`, then the campaign's run. Returns the
/// campaign's id.
async fn a_campaign_runs_from_upload_to_export(
    shell: &Shell,
    start: chrono::DateTime<chrono::Utc>,
) -> String {
    let agent = shell
        .json(&["agents", "create", &shell.file("agent.json", &agent_spec())])
        .await;
    let agent_id = agent["id"].as_str().unwrap().to_owned();
    assert!(
        shell
            .json(&["agents", "list"])
            .await
            .to_string()
            .contains(&agent_id)
    );
    assert_eq!(
        shell.json(&["agents", "get", &agent_id]).await["name"],
        "Ava"
    );

    let spec = campaign_spec(&agent_id, start);
    let created = shell
        .json(&["campaigns", "create", &shell.file("campaign.json", &spec)])
        .await;
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(
        shell
            .json(&["campaigns", "list"])
            .await
            .to_string()
            .contains(&id)
    );
    assert!(
        (shell
            .json(&["campaigns", "list", "--status", "draft"])
            .await)
            .to_string()
            .contains(&id)
    );
    assert_eq!(
        shell.json(&["campaigns", "get", &id]).await["status"],
        "draft"
    );

    contacts_are_imported_and_the_campaign_runs(shell, &id).await;
    id
}

/// `campaigns upload|dry-run|launch|pause|resume|progress|watch|analytics|export`.
async fn contacts_are_imported_and_the_campaign_runs(shell: &Shell, id: &str) {
    let id = id.to_owned();
    let csv = "phone,name\n+1 212 555 0100,Ann\n(312) 555-0101,Bo\nnot a number,Cy\n";
    let report = shell
        .json(&["campaigns", "upload", &id, &shell.file("contacts.csv", csv)])
        .await;
    assert_eq!(
        (&report["status"], &report["imported"], &report["rows_read"]),
        (&json!("completed"), &json!(2), &json!(3)),
        "{report}"
    );
    let dry = shell
        .json(&["campaigns", "dry-run", &id, "--sample", "5"])
        .await;
    assert!(dry.to_string().contains("first_dial"), "{dry}");

    let launched = shell.json(&["campaigns", "launch", &id]).await;
    assert_eq!(launched["status"], "active");
    assert_eq!(
        shell.json(&["campaigns", "pause", &id]).await["status"],
        "paused"
    );
    assert_eq!(
        shell.json(&["campaigns", "resume", &id]).await["status"],
        "active"
    );
    assert_eq!(
        shell.json(&["campaigns", "progress", &id]).await["total"],
        2
    );

    let watched = shell.json(&["campaigns", "watch", &id]).await;
    assert_eq!(watched["status"], "completed", "{watched}");
    assert_eq!(watched["finished"], 2, "{watched}");
    let analytics = shell.json(&["campaigns", "analytics", &id]).await;
    assert!(
        analytics.is_object() && !analytics.as_object().unwrap().is_empty(),
        "{analytics}"
    );
    let export = shell.json(&["campaigns", "export", &id]).await;
    assert_eq!(export["status"], "completed", "{export}");
    let file = reqwest::get(export["download_url"].as_str().unwrap())
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        file.lines().count(),
        3,
        "a header and the two leads: {file}"
    );
}

/// `privacy erase`: Ann's number out of the finished campaign, the export already written
/// included; a new export leaves her out.
async fn a_person_is_erased_with_the_export_already_written(shell: &Shell, campaign: &str) {
    // The tick that completed the campaign queued its leads' retention.
    let mut ended = shell.json(&["campaigns", "get", campaign]).await;
    for _ in 0..100 {
        if ended["personal_data_until"].is_string() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        ended = shell.json(&["campaigns", "get", campaign]).await;
    }
    let until = ended["personal_data_until"]
        .as_str()
        .expect("retention applied");
    let until: chrono::DateTime<chrono::Utc> = until.parse().unwrap();
    let completed: chrono::DateTime<chrono::Utc> =
        ended["updated_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(until - completed, chrono::Duration::days(30), "{ended}");
    let written = shell.json(&["campaigns", "export", campaign]).await;
    let url = written["download_url"].as_str().unwrap().to_owned();
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 200);
    let erasure = shell.json(&["privacy", "erase", "(212) 555-0100"]).await;
    assert_eq!(erasure["status"], "completed", "{erasure}");
    let leads = erasure["erased"]["leads"].as_array().unwrap();
    assert_eq!(leads.len(), 1, "{erasure}");
    assert_eq!(leads[0]["campaign_id"], campaign);
    assert!(
        (erasure["erased"]["exports"].as_array().unwrap()).contains(&written["id"]),
        "{erasure}"
    );
    assert_eq!(erasure["erased"]["uploads"].as_array().unwrap().len(), 1);
    assert!(!erasure.to_string().contains("5550100"), "{erasure}");
    // S3 answers a missing object 403 to a signer that may not list the bucket (the API's).
    let gone = reqwest::get(&url).await.unwrap().status();
    assert!(
        [403, 404].contains(&gone.as_u16()),
        "the export already written is deleted: {gone}"
    );
    let again = shell
        .json(&["privacy", "get", erasure["id"].as_str().unwrap()])
        .await;
    assert_eq!(again, erasure);
    let progress = shell.json(&["campaigns", "progress", campaign]).await;
    assert_eq!(
        (&progress["total"], &progress["erased"]),
        (&json!(1), &json!(1))
    );
    let export = shell.json(&["campaigns", "export", campaign]).await;
    let file = reqwest::get(export["download_url"].as_str().unwrap())
        .await
        .unwrap();
    let file = file.text().await.unwrap();
    assert_eq!(file.lines().count(), 2, "a header and Bo: {file}");
    assert!(!file.contains("5550100"), "{file}");
}

/// `campaigns cancel`, `agents delete`.
async fn a_campaign_is_cancelled_and_an_agent_deleted(
    shell: &Shell,
    start: chrono::DateTime<chrono::Utc>,
) {
    let spare = shell
        .json(&["agents", "create", &shell.file("spare.json", &agent_spec())])
        .await;
    let spare_id = spare["id"].as_str().unwrap();
    // Ends a day and a half after the runner's start: the first campaign's run has moved the
    // fast clock on by hours already (on a loaded machine, most of the first one's twelve).
    let spec = campaign_spec(spare_id, start + chrono::Duration::hours(36));
    let second = shell
        .json(&["campaigns", "create", &shell.file("second.json", &spec)])
        .await;
    let second_id = second["id"].as_str().unwrap();
    let csv = shell.file("one.csv", "phone\n+1 212 555 0142\n");
    shell.json(&["campaigns", "upload", second_id, &csv]).await;
    assert_eq!(
        shell.json(&["campaigns", "launch", second_id]).await["status"],
        "active"
    );
    let cancelled = shell.json(&["campaigns", "cancel", second_id]).await;
    assert_eq!(cancelled["status"], "cancelled");
    let deleted = shell.json(&["agents", "delete", spare_id]).await;
    assert_eq!(deleted["deleted"], spare_id);
    let gone = shell.run(&["agents", "get", spare_id]).await.unwrap_err();
    assert!(gone.contains("404"), "{gone}");
}

/// `dnc add|check|list|upload|remove`.
async fn the_do_not_call_list_is_kept(shell: &Shell) {
    let added = shell.json(&["dnc", "add", "(415) 555-2671"]).await;
    assert_eq!(added["number"], "+14155552671");
    assert_eq!(
        shell.json(&["dnc", "check", "+14155552671"]).await["on_list"],
        true
    );
    let csv = "Mobile;Name\n020 7946 0018;Ann\n020 7946 0019;Bo\nnope;Cy\n";
    let path = shell.file("dnc.csv", csv);
    let bulk = shell
        .json(&["dnc", "upload", &path, "--default-region", "GB"])
        .await;
    assert_eq!(
        (&bulk["added"], &bulk["rejected_total"]),
        (&json!(2), &json!(1)),
        "{bulk}"
    );
    let list = shell.json(&["dnc", "list"]).await;
    let numbers: Vec<&str> = (list["items"].as_array().unwrap().iter())
        .map(|e| e["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["+14155552671", "+442079460018", "+442079460019"]);
    let removed = shell.json(&["dnc", "remove", "+14155552671"]).await;
    assert_eq!(removed["number"], "+14155552671", "{removed}");
    assert_eq!(
        shell.json(&["dnc", "check", "+14155552671"]).await["on_list"],
        false
    );
    let again = shell.json(&["dnc", "remove", "+14155552671"]).await;
    assert_eq!(again["removed"], false, "not on the list any more");
}

/// `numbers list|rest|restore`: the tenant's number after the campaign, rested and restored.
async fn a_caller_number_is_rested_and_restored(shell: &Shell) {
    // The day the campaign ran (the runner's clock runs fast: "today" may be the next).
    let list = shell
        .json(&["numbers", "list", "--day", "2026-06-08"])
        .await;
    let number = &list["items"][0];
    assert_eq!(number["number"], "+14155550199", "{list}");
    assert!(
        number["calls"].as_u64().unwrap() > 0,
        "the campaign called from it: {list}"
    );
    let rested = (shell.json(&["numbers", "rest", "+1 415 555 0199", "--hours", "2"])).await;
    assert_eq!(
        (&rested["resting"], &rested["rest"]["by_hand"]),
        (&json!(true), &json!(true))
    );
    let restored = shell.json(&["numbers", "restore", "+14155550199"]).await;
    assert_eq!(restored["restored"], "+14155550199");
    let list = shell
        .json(&["numbers", "list", "--day", "2026-06-08"])
        .await;
    assert_eq!(list["items"][0]["resting"], false, "{list}");
}

/// `pools put|get|list|delete`: a pool of the tenant's number, with its limits; one with a
/// number the tenant does not own refused by field.
async fn a_named_pool_is_kept(shell: &Shell) {
    let args = [
        "pools",
        "put",
        "east",
        "+1 415 555 0199",
        "--per-hour",
        "12",
        "--per-day",
        "60",
    ];
    let put = shell.json(&args).await;
    assert_eq!(put["numbers"], json!(["+14155550199"]), "{put}");
    assert_eq!(put["limits"], json!({ "per_hour": 12, "per_day": 60 }));
    let one = shell.json(&["pools", "get", "east"]).await;
    assert_eq!(one["default"], "+14155550199", "{one}");
    let refused = (shell.run(&["pools", "put", "west", "+1 212 555 0100"])).await;
    let refused = refused.expect_err("a number the tenant does not own");
    assert!(refused.contains("numbers[0]"), "{refused}");
    let deleted = shell.json(&["pools", "delete", "east"]).await;
    assert_eq!(deleted["deleted"], "east");
    let list = shell.json(&["pools", "list"]).await;
    assert_eq!(list["items"], json!([]), "{list}");
}

/// `registries upload|list`: an extract goes through the bucket's notification to the importer,
/// which loads it and makes it the tenant's newest, fresh.
async fn a_registry_extract_is_uploaded_and_loaded(shell: &Shell) {
    let file = shell.file("dnc-212.txt", "2125550100\n212,5550101\nnot a number\n");
    let upload = (shell.json(&[
        "registries",
        "upload",
        "us_national_dnc",
        "--downloaded-on",
        "2026-06-07",
        &file,
    ]))
    .await;
    assert_eq!(upload["status"], "awaiting_upload", "{upload}");
    let mut list = Value::Null;
    for _ in 0..100 {
        list = shell.json(&["registries", "list"]).await;
        if !list["registries"][0]["newest"].is_null() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let us = &list["registries"][0];
    assert_eq!(
        (&us["newest"]["numbers"], &us["fresh"]),
        (&json!(2), &json!(true)),
        "{list}"
    );
    assert_eq!(list["uploads"][0]["bad_lines"], 1, "{list}");
}

/// A refusal reads as the API's problem (status, code, detail); a revoked key is refused.
async fn errors_read_as_the_api_gave_them(shell: &Shell, campaign: &str) {
    let missing = shell.run(&["campaigns", "get", "nope"]).await.unwrap_err();
    assert!(missing.contains("404 not_found"), "{missing}");
    let done = shell
        .run(&["campaigns", "pause", campaign])
        .await
        .unwrap_err();
    assert!(done.contains("409"), "{done}");
    let unreadable = shell
        .run(&["campaigns", "create", "/no/such/file.json"])
        .await
        .unwrap_err();
    assert!(unreadable.contains("/no/such/file.json"), "{unreadable}");
    let key_id = shell.key.split('.').nth(1).unwrap();
    assert!(
        shell
            .admin(&["revoke-key", "cli-t", key_id])
            .await
            .contains("revoked")
    );
    let refused = shell.run(&["agents", "list"]).await.unwrap_err();
    assert!(refused.contains("401"), "{refused}");
}

fn agent_spec() -> String {
    json!({
        "name": "Ava", "mode": "outbound", "provider": "simulator",
        "caller_number": "+1 415 555 0199", "provider_agent_ref": "ava"
    })
    .to_string()
}

/// Two hours of calling from `start`, no retries: a short campaign that completes.
fn campaign_spec(agent: &str, start: chrono::DateTime<chrono::Utc>) -> String {
    json!({
        "name": "From the command line",
        "agent_id": agent,
        // Far enough that the commands before the launch never outlast it at 600x on a loaded
        // machine (two virtual hours were twelve real seconds), near enough that a lead given
        // a callback does not keep `watch` waiting long (twelve hours: 72 s at most).
        "schedule": { "ends_at": start + chrono::Duration::hours(12) },
        "pacing": { "max_concurrent_calls": 5, "calls_per_hour": 600 },
        "retry": { "max_retries": 0 },
        "call_handling": { "max_call_seconds": 300 }
    })
    .to_string()
}
