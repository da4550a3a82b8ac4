//! The web console in a real browser (headless Chromium over WebDriver) against the local
//! runner: what a person does, start to end, with a screenshot of each step.

use ports::store::CampaignStatuses;
use std::time::Duration;

use adapters::voice::simulator::SimulatorConfig;
use campaigns_cli::ApiClient;
use local_runner::{Runner, RunnerConfig};
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::support::{runner_with_agent_and_key, wait_for};

/// The sample contacts file the README's demo uses.
const SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/sample/contacts.csv");
/// Long enough for the whole sample campaign at the runner's speed.
const CAMPAIGN_LIMIT: Duration = Duration::from_secs(300);

/// A runner whose virtual clock starts on a Monday afternoon in New York (every US zone is in
/// its calling hours), a tenant's key, and an outbound agent made through the API.
pub async fn console_world() -> (Runner, ApiClient, String, Value) {
    let config = RunnerConfig {
        port: 0,
        speed: 300.0,
        start_at: "2026-06-08T19:00:00Z".parse().unwrap(),
        simulator: SimulatorConfig::new(17, "console-simulator-secret"),
        dialers: 4,
        prefix: emulator::unique_prefix("console"),
        tenant_requests_per_second: None,
        table_access: crate::support::table_access(),
        isolation: Default::default(),
        provider: Default::default(),
    };
    let (runner, api, agent, key) = runner_with_agent_and_key(config, "console").await;
    (runner, api, key, agent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_person_runs_a_campaign_from_the_console_alone() {
    let (runner, api, key, agent) = console_world().await;
    let agent_id = agent["id"].as_str().unwrap();
    let mut browser = Browser::start("campaign").await;

    sign_in(&mut browser, &runner.base_url, &key).await;
    let campaign = create_with_the_wizard(&mut browser, &api, agent_id).await;
    watch_to_completed_and_export(&mut browser, &api, &campaign).await;
    let second = pause_and_resume_a_second_campaign(&mut browser, &api, agent_id).await;
    a_guardrails_pause_shows_its_reason_until_resumed(&mut browser, &runner, &api, &second).await;
    a_bad_call_window_and_blackout_show_their_field_errors(&mut browser, agent_id).await;

    browser.click("#sign-out").await;
    browser.find("#f-api_key").await;
    assert_eq!(
        browser
            .eval("sessionStorage.getItem('campaigns.apiKey')")
            .await,
        Value::Null,
        "signing out forgets the key"
    );
    browser.shot("signed-out").await;
    browser.close().await;
    crate::support::shutdown(runner).await;
}

pub async fn sign_in(browser: &mut Browser, base: &str, key: &str) {
    browser.client.goto(&format!("{base}/")).await.unwrap();
    browser.find("#f-api_key").await;
    browser.assert_every_control_is_labelled("sign-in").await;
    browser.shot("sign-in").await;
    browser.fill("#f-api_key", "ck.not.a-key").await;
    browser.click("form.signin button[type=submit]").await;
    let refusal = browser.text("form.signin .errors").await;
    assert!(
        refusal.contains("not accepted"),
        "a wrong key is refused: {refusal}"
    );
    browser.fill("#f-api_key", key).await;
    browser.click("form.signin button[type=submit]").await;
    browser.find(".empty a.button").await;
    assert_eq!(browser.text("main h1").await, "Campaigns");
    browser
        .assert_every_control_is_labelled("the empty campaign list")
        .await;
    browser.shot("campaigns-empty").await;
}

/// The five steps with the sample file; returns the launched campaign's id.
async fn create_with_the_wizard(browser: &mut Browser, api: &ApiClient, agent: &str) -> String {
    browser.click_text("Create Campaign").await;
    browser.fill("#f-name", "Summer renewals").await;
    browser
        .fill("#f-description", "Renewal reminders, from the console")
        .await;
    browser.select("#f-agent_id", agent).await;
    browser
        .assert_every_control_is_labelled("basic setup")
        .await;
    browser.shot("basic-setup").await;
    browser.click("#wizard-step button[type=submit]").await;

    let sample = std::fs::canonicalize(SAMPLE).unwrap();
    browser
        .find("#contacts-file")
        .await
        .send_keys(&sample.display().to_string())
        .await
        .expect("the file input takes the sample");
    browser
        .find_within("[data-import][data-status=completed]", CAMPAIGN_LIMIT)
        .await;
    let campaign = browser.eval("location.hash.split('/').pop()").await;
    let campaign = campaign.as_str().unwrap().to_owned();
    let imports = api
        .get(&format!("/v1/campaigns/{campaign}/imports"))
        .await
        .unwrap();
    let imported = imports["items"][0]["imported"].as_i64().unwrap();
    assert!(imported > 0);
    assert_eq!(
        browser
            .text("[data-figure=imported]")
            .await
            .replace(',', ""),
        imported.to_string(),
        "the report shows what the importer imported"
    );
    browser.assert_every_control_is_labelled("upload").await;
    browser.shot("import-report").await;
    browser.click("#wizard-step button[type=submit]").await;

    schedule_and_rules(browser).await;

    browser.find("#preview tbody tr").await;
    let zones = browser.text("#preview tbody tr td:nth-child(3)").await;
    assert!(
        zones.contains('/'),
        "the preview names each contact's zone: {zones}"
    );
    let settings = browser.text("#review-settings").await;
    assert!(settings.contains("2026-07-03 to 2026-07-05"), "{settings}");
    assert!(
        settings.contains("failed attempts over 60%, provider refusals over 50%")
            && settings.contains("over 30 minutes, judged from 20"),
        "the review shows the guardrails, edited and default: {settings}"
    );
    browser.assert_every_control_is_labelled("review").await;
    browser.shot("review").await;
    browser.click("#launch").await;
    browser.find("#stats").await;
    let view = api.get(&format!("/v1/campaigns/{campaign}")).await.unwrap();
    assert_eq!(view["config"]["name"], "Summer renewals");
    assert_eq!(view["config"]["pacing"]["calls_per_hour"], 3600);
    assert_eq!(view["config"]["retry"]["max_retries"], 0);
    assert_eq!(
        view["config"]["schedule"]["ends_at"],
        "2026-06-09T03:00:00Z"
    );
    assert_eq!(
        view["config"]["schedule"]["blackout"],
        json!([{"from": "2026-07-03", "to": "2026-07-05"}])
    );
    the_wizards_guardrails_were_saved(&view["config"]["guardrails"]);
    campaign
}

/// The guardrails set in the wizard were saved, and the one left alone kept its default.
fn the_wizards_guardrails_were_saved(guardrails: &Value) {
    assert_eq!(
        (
            &guardrails["window_minutes"],
            &guardrails["max_failed_percent"]
        ),
        (&json!(30), &json!(60)),
        "the guardrails set in the wizard: {guardrails}"
    );
    assert_eq!(guardrails["max_opt_out_percent"], 20, "a default kept");
}

async fn watch_to_completed_and_export(browser: &mut Browser, api: &ApiClient, campaign: &str) {
    browser
        .until(
            "the dashboard shows the campaign running",
            CAMPAIGN_LIMIT,
            "document.querySelector('[data-stat=calls_placed] dd').textContent !== '0'",
        )
        .await;
    browser.shot("dashboard-running").await;
    browser
        .until(
            "the dashboard reaches Completed",
            CAMPAIGN_LIMIT,
            "document.querySelector('#campaign-status').textContent === 'Completed'",
        )
        .await;
    let progress = api
        .get(&format!("/v1/campaigns/{campaign}/progress"))
        .await
        .unwrap();
    assert_eq!(progress["status"], "completed");
    browser
        .until("the figures catch up", Duration::from_secs(10), &format!("document.querySelector('[data-stat=completed] dd').textContent.replace(',', '') === '{}'", progress["completed"]))
        .await;
    the_connection_and_completion_rates_are_the_apis(browser, api, campaign).await;
    browser.assert_every_control_is_labelled("dashboard").await;
    // A lead's attempt history, from the lead table: a called lead, found by its number (how
    // many leads were called before the end depends on how fast this machine ran the clock).
    let called = called_lead_phone(api, campaign).await;
    browser.fill("#lead-search", &called).await;
    browser.click("form[role=search] button[type=submit]").await;
    browser.click("#leads details summary").await;
    let history = browser.text("#leads details[open] ol.history li").await;
    let allowed = browser.text("#leads details[open] .clearance").await;
    assert!(
        // The demo's contacts are all over the US, Honolulu included.
        ["Allowed: America/", "Allowed: Pacific/"]
            .iter()
            .any(|zone| allowed.starts_with(zone))
            && allowed.contains("not on the DNC list")
            && allowed.contains("in 7 days across campaigns"),
        "each call says why it was allowed: {allowed}"
    );
    assert!(
        history.contains(':'),
        "an attempt with its time and outcome: {history}"
    );
    browser.shot("dashboard-completed").await;

    focus_survives_a_refresh(browser, "Export results").await;
    browser.click_text("Export results").await;
    browser.click("#export-download").await;
    let file = browser.downloaded().await;
    let mut rows = csv::Reader::from_path(&file).expect("the download is a CSV");
    assert_eq!(
        rows.records().count() as i64,
        progress["total"].as_i64().unwrap(),
        "one row per lead in {}",
        file.display()
    );
    browser.shot("exported").await;

    export_clearances(browser, &progress).await;
}

/// The dashboard shows the connection and completion rates the analytics API computes, and the
/// abandonment rate the progress API does.
async fn the_connection_and_completion_rates_are_the_apis(
    browser: &Browser,
    api: &ApiClient,
    campaign: &str,
) {
    let analytics = api
        .get(&format!("/v1/campaigns/{campaign}/analytics"))
        .await
        .unwrap();
    for rate in ["connection_rate", "completion_rate"] {
        let share = analytics[rate].as_f64().expect("calls were made");
        let shown = format!("{}%", (share * 1000.0).round() / 10.0);
        browser
            .until(
                &format!("the dashboard shows the {rate} {shown}"),
                Duration::from_secs(10),
                &format!(
                    "document.querySelector('[data-stat={rate}] dd').textContent === '{shown}'"
                ),
            )
            .await;
    }
    // The abandonment rate (answered, no agent) is the progress API's.
    let progress = api
        .get(&format!("/v1/campaigns/{campaign}/progress"))
        .await
        .unwrap();
    let rate = progress["abandonment_rate"]
        .as_f64()
        .expect("people answered");
    let abandoned = progress["abandoned_calls"].as_i64().unwrap();
    let shown = format!("{}% ({abandoned})", (rate * 1000.0).round() / 10.0);
    let shown_now = browser.text("[data-stat=abandonment_rate] dd").await;
    assert_eq!(shown_now, shown, "{progress}");
}

/// What allowed each call: one row per attempt and zone, every attempt there.
async fn export_clearances(browser: &mut Browser, progress: &Value) {
    browser.click_text("Export clearances").await;
    browser
        .until(
            "the clearances export is offered",
            Duration::from_secs(60),
            "document.querySelector('#export-download')?.download?.endsWith('clearances.csv')",
        )
        .await;
    browser.click("#export-download").await;
    let file = browser.downloaded().await;
    let mut reader = csv::Reader::from_path(&file).expect("a CSV");
    let mut attempts = std::collections::HashSet::new();
    for row in reader.deserialize::<std::collections::HashMap<String, String>>() {
        let row = row.expect("a clearance row");
        assert_eq!(row["dnc_checked_at"], row["started_at"], "{row:?}");
        assert_ne!(row["window_range"], "none", "{row:?}");
        attempts.insert((row["lead_id"].clone(), row["attempt"].clone()));
    }
    assert_eq!(
        attempts.len() as i64,
        progress["calls_placed"].as_i64().unwrap(),
        "a clearance for every call placed"
    );
}

async fn pause_and_resume_a_second_campaign(
    browser: &mut Browser,
    api: &ApiClient,
    agent: &str,
) -> String {
    let spec = json!({"name": "Slow lane", "agent_id": agent, "pacing": {"calls_per_hour": 1}});
    let csv = b"phone,name\n+12125550111,Ann Lee\n+13055550112,Bo Diaz\n";
    let id = draft_with_leads(api, spec, csv).await;
    api.post(&format!("/v1/campaigns/{id}/launch"), &json!({}))
        .await
        .unwrap();

    browser.click("a[data-nav=campaigns]").await;
    browser.find(&format!("tr[data-campaign='{id}']")).await;
    browser
        .assert_every_control_is_labelled("the campaign list")
        .await;
    browser.click(&format!("tr[data-campaign='{id}'] a")).await;
    let status = "document.querySelector('#campaign-status').textContent";
    browser
        .until(
            "the second campaign is Active",
            Duration::from_secs(30),
            &format!("{status} === 'Active'"),
        )
        .await;
    browser.click_text("Pause").await;
    browser
        .until(
            "it shows Paused",
            Duration::from_secs(30),
            &format!("{status} === 'Paused'"),
        )
        .await;
    assert_eq!(
        api.get(&format!("/v1/campaigns/{id}")).await.unwrap()["status"],
        "paused"
    );
    browser.shot("paused").await;
    assert_eq!(
        browser.eval(PAUSE_REASON_SHOWN).await,
        Value::Bool(false),
        "a person's pause has no guardrail reason"
    );
    browser.click_text("Resume").await;
    browser
        .until(
            "it shows Active again",
            Duration::from_secs(30),
            &format!("{status} === 'Active'"),
        )
        .await;
    assert_eq!(
        api.get(&format!("/v1/campaigns/{id}")).await.unwrap()["status"],
        "active"
    );
    id
}

/// Whether the dashboard shows a guardrail's reason.
const PAUSE_REASON_SHOWN: &str = "!document.querySelector('#pause-reason').hidden";

/// A guardrail pauses the campaign (the store's own pause, as the tick makes it: the hostile
/// runs in tests/dispatch/guardrails.rs trip it for real); the dashboard says why, and Resume
/// clears the reason.
async fn a_guardrails_pause_shows_its_reason_until_resumed(
    browser: &mut Browser,
    runner: &Runner,
    api: &ApiClient,
    id: &str,
) {
    use domain::guardrails::{Guardrail, PauseReason, Trip};
    use ports::Clock;
    use ports::store::Campaigns;
    let campaign = domain::ids::CampaignRef {
        tenant: domain::ids::TenantId::parse("console").unwrap(),
        campaign: domain::ids::CampaignId::parse(id).unwrap(),
    };
    let record = runner
        .store
        .get_campaign(&campaign)
        .await
        .unwrap()
        .expect("the campaign exists");
    let trip = Trip {
        guardrail: Guardrail::FailedAttempts,
        count: 14,
        sample: 20,
        limit_percent: 50,
    };
    let reason = PauseReason::of(trip, chrono::Duration::minutes(15), runner.clock.now());
    runner
        .store
        .pause_with_reason(&campaign, record.active_since, &reason, None)
        .await
        .expect("the Active campaign pauses");
    browser
        .until(
            "the dashboard shows the guardrail's reason",
            Duration::from_secs(30),
            PAUSE_REASON_SHOWN,
        )
        .await;
    let text = browser
        .eval("document.querySelector('#pause-reason').textContent")
        .await;
    assert_eq!(
        text.as_str().unwrap(),
        "Paused by a guardrail: 14 of 20 finished attempts failed in the last 15 minutes (70%, limit 50%). Check the cause, then resume to call again."
    );
    let progress = api
        .get(&format!("/v1/campaigns/{id}/progress"))
        .await
        .unwrap();
    assert_eq!(progress["pause_reason"]["guardrail"], "failed_attempts");
    browser.shot("paused-by-guardrail").await;
    browser.click_text("Resume").await;
    browser
        .until(
            "the reason is gone once resumed",
            Duration::from_secs(30),
            &format!("!({PAUSE_REASON_SHOWN})"),
        )
        .await;
    let campaign = api.get(&format!("/v1/campaigns/{id}")).await.unwrap();
    assert_eq!(campaign["status"], "active");
    assert!(campaign.get("pause_reason").is_none(), "{campaign}");
}

async fn a_bad_call_window_and_blackout_show_their_field_errors(
    browser: &mut Browser,
    agent: &str,
) {
    browser.click("a[data-nav=campaigns]").await;
    browser.click_text("Create Campaign").await;
    browser.fill("#f-name", "Wrong hours").await;
    browser.select("#f-agent_id", agent).await;
    browser.click("#wizard-step button[type=submit]").await;
    browser.find("#contacts-file").await;
    browser.click("#wizard-step button[type=submit]").await;
    browser.fill("input[name='monday.start']", "18:00").await;
    browser.fill("input[name='monday.end']", "09:00").await;
    browser
        .fill(
            "textarea[name='schedule.blackout']",
            "2026-07-05..2026-07-01",
        )
        .await;
    browser.click("#wizard-step button[type=submit]").await;
    let blackout = browser
        .text("[data-field='schedule.blackout'] .field-error")
        .await;
    assert!(blackout.contains("on or after"), "{blackout}");
    let error = browser
        .text("[data-field='schedule.window.monday[0]'] .field-error")
        .await;
    assert!(
        error.contains("18:00-09:00"),
        "the error names the range: {error}"
    );
    assert_eq!(
        browser.eval("document.querySelector(\"input[name='monday.start']\").getAttribute('aria-invalid')").await,
        "true"
    );
    browser.shot("field-error").await;
}

/// Steps 3 and 4: a long Monday, fast pacing, an end eight virtual hours in, no retries.
async fn schedule_and_rules(browser: &mut Browser) {
    for (name, value) in [
        ("monday.start", "08:00"),
        ("monday.end", "21:00"),
        ("pacing.max_concurrent_calls", "10"),
        ("pacing.calls_per_hour", "3600"),
    ] {
        browser.fill(&format!("input[name='{name}']"), value).await;
    }
    browser
        .until(
            "Monday is open",
            Duration::from_secs(5),
            "document.getElementById('day-monday').checked",
        )
        .await;
    browser
        .fill(
            "textarea[name='schedule.blackout']",
            "2026-07-03..2026-07-05",
        )
        .await;
    // Eight virtual hours (96 s at 300x, room for the wizard on a loaded machine): leads the
    // agents asked to call back later are skipped as it ends.
    browser
        .eval(
            "(() => { const d = new Date('2026-06-09T03:00:00Z'), p = (n) => String(n).padStart(2, '0'); \
             document.querySelector(\"input[name='schedule.ends_at']\").value = \
             `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`; })()",
        )
        .await;
    browser.assert_every_control_is_labelled("schedule").await;
    browser.shot("schedule").await;
    browser.click("#wizard-step button[type=submit]").await;

    browser.fill("input[name='retry.max_retries']", "0").await;
    guardrails_show_their_defaults_and_take_new_limits(browser).await;
    browser.assert_every_control_is_labelled("rules").await;
    browser.shot("rules").await;
    browser.click("#wizard-step button[type=submit]").await;
}

/// Step 4's guardrails: each field shows the API's default beside it; a longer window and a
/// looser failure limit are set.
async fn guardrails_show_their_defaults_and_take_new_limits(browser: &mut Browser) {
    let value =
        |name: &str| format!("document.querySelector(\"input[name='guardrails.{name}']\").value");
    assert_eq!(browser.eval(&value("max_opt_out_percent")).await, "20");
    assert_eq!(browser.eval(&value("window_minutes")).await, "15");
    let hint = browser
        .text("[data-field='guardrails.max_failed_percent'] .hint")
        .await;
    assert!(hint.ends_with("default 50"), "{hint}");
    browser
        .fill("input[name='guardrails.window_minutes']", "30")
        .await;
    browser
        .fill("input[name='guardrails.max_failed_percent']", "60")
        .await;
    browser.shot("guardrails").await;
}

/// A draft campaign made through the API from `spec`, with `csv` imported; its id.
pub async fn draft_with_leads(api: &ApiClient, spec: Value, csv: &[u8]) -> String {
    let campaign = api.post("/v1/campaigns", &spec).await.unwrap();
    let id = campaign["id"].as_str().unwrap().to_owned();
    let import = api.upload_csv(&id, csv.to_vec(), |_| {}).await.unwrap();
    let path = format!("/v1/campaigns/{id}/imports/{import}");
    wait_for("the import", Duration::from_secs(60), || async {
        let r = api.get(&path).await.ok()?;
        (r["status"] == "completed").then_some(r)
    })
    .await;
    id
}

/// The number of a lead of `campaign` that has at least one finished call.
async fn called_lead_phone(api: &ApiClient, campaign: &str) -> String {
    let mut cursor = String::new();
    loop {
        let page = api
            .get(&format!("/v1/campaigns/{campaign}/leads?limit=200{cursor}"))
            .await
            .unwrap();
        let items = page["items"].as_array().unwrap();
        if let Some(lead) = items
            .iter()
            .find(|l| !l["calls"].as_array().unwrap().is_empty())
        {
            return lead["phone"].as_str().unwrap().to_owned();
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => panic!("no lead of the campaign has a finished call"),
        }
    }
}

/// A keyboard user on a dashboard button keeps focus on it across the dashboard's refreshes.
async fn focus_survives_a_refresh(browser: &Browser, button: &str) {
    browser
        .eval(&format!(
            "[...document.querySelectorAll('#actions button')].find((b) => b.textContent === '{button}').focus()"
        ))
        .await;
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    assert_eq!(
        browser.eval("document.activeElement.textContent").await,
        json!(button),
        "the focused button survives a refresh of the dashboard"
    );
}
