//! The console's management pages in a real browser: agents, the Do-Not-Call list, and a
//! campaign's lead table (search, status filter, Skip).

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::console::{console_world, draft_with_leads, sign_in};
use crate::support::wait_for;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn agents_dnc_numbers_and_leads_are_managed_from_the_console() {
    let (runner, api, key, agent) = console_world().await;
    let mut browser = Browser::start("manage").await;
    sign_in(&mut browser, &runner.base_url, &key).await;
    agents_are_added_refused_edited_and_removed(&mut browser, &api, &agent).await;
    dnc_numbers_are_added_uploaded_and_removed(&mut browser, &api).await;
    leads_are_searched_filtered_and_skipped(&mut browser, &api, &runner.base_url, &agent).await;
    browser.close().await;
    crate::support::shutdown(runner).await;
}

/// Agents: add, a refused field, edit, remove.
async fn agents_are_added_refused_edited_and_removed(
    browser: &mut Browser,
    api: &campaigns_cli::ApiClient,
    agent: &Value,
) {
    browser.click("a[data-nav=agents]").await;
    browser
        .find(&format!(
            "tr[data-agent='{}']",
            agent["id"].as_str().unwrap()
        ))
        .await;
    browser.click("#add-agent").await;
    browser.fill("#agent-form [name=name]", "Bo").await;
    browser.select("#agent-form [name=mode]", "hybrid").await;
    browser
        .fill("#agent-form [name=caller_number]", "+1 212 555 0100")
        .await;
    browser
        .fill("#agent-form [name=provider_agent_ref]", "bo-ref")
        .await;
    browser
        .assert_every_control_is_labelled("the agent form")
        .await;
    an_unregistered_caller_number_is_refused_beside_its_field(browser).await;
    browser
        .fill("#agent-form [name=caller_number]", "+1 415 555 0199")
        .await;
    browser.click("#agent-form button[type=submit]").await;
    let bo = wait_for("the new agent", Duration::from_secs(10), || async {
        let agents = api.get("/v1/agents").await.ok()?;
        agents["items"]
            .as_array()?
            .iter()
            .find(|a| a["name"] == "Bo")
            .cloned()
    })
    .await;
    assert_eq!(bo["mode"], "hybrid");
    let bo_id = bo["id"].as_str().unwrap();
    browser
        .click(&format!("tr[data-agent='{bo_id}'] button.secondary"))
        .await;
    browser.fill("#agent-form [name=name]", "Bo Two").await;
    browser.click("#agent-form button[type=submit]").await;
    browser
        .until(
            "the edit is listed",
            Duration::from_secs(10),
            &format!(
                "document.querySelector(\"tr[data-agent='{bo_id}'] td\").textContent === 'Bo Two'"
            ),
        )
        .await;
    assert_eq!(
        api.get(&format!("/v1/agents/{bo_id}")).await.unwrap()["name"],
        "Bo Two"
    );
    browser.shot("agents").await;
    browser
        .click(&format!("tr[data-agent='{bo_id}'] button.danger"))
        .await;
    browser.click("#confirm-ok").await;
    browser
        .until(
            "the agent is gone",
            Duration::from_secs(10),
            &format!("!document.querySelector(\"tr[data-agent='{bo_id}']\")"),
        )
        .await;
    assert_eq!(
        api.get("/v1/agents").await.unwrap()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

/// Do-Not-Call: one number, a file of them, and a removal.
async fn dnc_numbers_are_added_uploaded_and_removed(
    browser: &mut Browser,
    api: &campaigns_cli::ApiClient,
) {
    browser.click("a[data-nav=dnc]").await;
    browser
        .fill("#dnc-add [name=number]", "+1 (212) 555-0177")
        .await;
    browser.click("#dnc-add button[type=submit]").await;
    browser
        .until(
            "the number is listed",
            Duration::from_secs(10),
            "document.querySelector('#dnc').textContent.includes('+12125550177')",
        )
        .await;
    let file = browser.downloads.join("dnc.csv");
    std::fs::write(&file, "phone\n+13055550188\n+16175550199\nnot a number\n").unwrap();
    browser
        .find("#dnc-file")
        .await
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    browser.click("#dnc-bulk button[type=submit]").await;
    let result = browser.text("#dnc-bulk .notice").await;
    assert!(result.starts_with("2 added, 1 row refused"), "{result}");
    browser
        .assert_every_control_is_labelled("the Do-Not-Call page")
        .await;
    browser.shot("dnc").await;
    assert_eq!(on_list(api, "+13055550188").await, Value::Bool(true));
    browser
        .click("button[aria-label='Remove +12125550177']")
        .await;
    browser.click("#confirm-ok").await;
    browser
        .until(
            "the number is gone",
            Duration::from_secs(10),
            "!document.querySelector('#dnc').textContent.includes('+12125550177')",
        )
        .await;
    assert_eq!(on_list(api, "+12125550177").await, Value::Bool(false));
}

/// A campaign's leads: search by name and by number, filter by status, skip one.
async fn leads_are_searched_filtered_and_skipped(
    browser: &mut Browser,
    api: &campaigns_cli::ApiClient,
    base: &str,
    agent: &Value,
) {
    let spec = json!({"name": "Leads", "agent_id": agent["id"]});
    let csv = b"phone,name\n+12125550111,Ann Lee\n+13125550112,Bo Diaz\n+14155550113,Cy Park\n";
    let id = draft_with_leads(api, spec, csv).await;
    browser
        .client
        .goto(&format!("{}/#/campaigns/{id}", base))
        .await
        .unwrap();
    let rows = "document.querySelectorAll('#leads tbody tr[data-lead]').length";
    browser
        .until(
            "three leads",
            Duration::from_secs(10),
            &format!("{rows} === 3"),
        )
        .await;
    search(browser, "bo d").await;
    browser
        .until(
            "one match by name",
            Duration::from_secs(10),
            &format!("{rows} === 1"),
        )
        .await;
    assert_eq!(
        browser
            .text("#leads tbody tr[data-lead] td:nth-child(2)")
            .await,
        "Bo Diaz"
    );
    search(browser, "(415) 555").await;
    browser.until("one match by number", Duration::from_secs(10), "document.querySelector('#leads tbody tr[data-lead] td').textContent === '+14155550113'").await;
    search(browser, "").await;
    browser
        .until(
            "three leads again",
            Duration::from_secs(10),
            &format!("{rows} === 3"),
        )
        .await;
    browser.click("#leads tbody tr[data-lead] button").await;
    browser
        .until(
            "one lead skipped",
            Duration::from_secs(10),
            "document.querySelectorAll('#leads tr[data-status=skipped]').length === 1",
        )
        .await;
    browser.select("#lead-status", "skipped").await;
    browser
        .until(
            "the filter shows it alone",
            Duration::from_secs(10),
            &format!("{rows} === 1"),
        )
        .await;
    let skipped = api
        .get(&format!("/v1/campaigns/{id}/leads?status=skipped"))
        .await
        .unwrap();
    assert_eq!(skipped["items"].as_array().unwrap().len(), 1);
    browser.shot("leads-skipped").await;
}

async fn on_list(api: &campaigns_cli::ApiClient, number: &str) -> Value {
    api.post("/v1/dnc/check", &json!({ "number": number }))
        .await
        .unwrap()["on_list"]
        .clone()
}

/// Searches the lead table.
async fn search(browser: &Browser, q: &str) {
    browser.fill("#lead-search", q).await;
    browser.click("form[role=search] button[type=submit]").await;
}

async fn an_unregistered_caller_number_is_refused_beside_its_field(browser: &mut Browser) {
    browser.click("#agent-form button[type=submit]").await;
    let refused = browser
        .text("[data-field=caller_number] .field-error")
        .await;
    assert!(refused.contains("registered caller"), "{refused}");
    browser.shot("agent-field-error").await;
}
