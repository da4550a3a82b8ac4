//! Caller numbers in the console, in a real browser: an agent's pool and its limits are edited
//! in the agent form (a number the tenant does not own refused beside the field), and a number
//! is rested and restored from the account page, whose table shows each number's day; an
//! extract of the National DNC Registry is uploaded there and shown loaded and fresh; a named
//! pool is made on the account page (a number the tenant does not own refused beside the field)
//! and the agent is set to call from it.

use std::time::Duration;

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::console::{console_world, sign_in};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pool_is_edited_and_a_number_rested_and_restored_from_the_console() {
    let (runner, api, key, agent) = console_world().await;
    let mut browser = Browser::start("numbers").await;
    sign_in(&mut browser, &runner.base_url, &key).await;
    the_agent_form_edits_the_pool_and_its_limits(&mut browser, &api, &agent).await;
    a_pool_is_made_on_the_account_page_and_named_by_the_agent(&mut browser, &api, &agent).await;
    a_number_is_rested_and_restored(&mut browser, &api).await;
    a_registry_extract_is_uploaded_from_the_account_page(&mut browser, &api).await;
    browser.close().await;
    crate::support::shutdown(runner).await;
}

async fn the_agent_form_edits_the_pool_and_its_limits(
    browser: &mut Browser,
    api: &campaigns_cli::ApiClient,
    agent: &Value,
) {
    let id = agent["id"].as_str().unwrap();
    browser.click("a[data-nav=agents]").await;
    browser
        .click(&format!("tr[data-agent='{id}'] button.secondary"))
        .await;
    browser
        .fill(
            "#agent-form [name=caller_pool]",
            "+1 212 555 0199, +1 212 555 0123",
        )
        .await;
    browser
        .fill("#agent-form [name='caller_limits.per_hour']", "40")
        .await;
    browser.click("#agent-form button[type=submit]").await;
    let refused = browser
        .text("#agent-form [data-field=caller_pool] .field-error")
        .await;
    assert!(refused.contains("registered caller numbers"), "{refused}");
    assert_eq!(
        api.get(&format!("/v1/agents/{id}")).await.unwrap()["caller_pool"],
        Value::Null,
        "nothing refused was stored"
    );
    browser
        .fill(
            "#agent-form [name=caller_pool]",
            "+1 212 555 0199, +1 312 555 0199",
        )
        .await;
    browser
        .assert_every_control_is_labelled("the agent form with its pool")
        .await;
    browser.shot("agent-pool").await;
    browser.click("#agent-form button[type=submit]").await;
    browser
        .until(
            "the form closes",
            Duration::from_secs(10),
            "document.querySelector('#agent-form') === null",
        )
        .await;
    let stored = api.get(&format!("/v1/agents/{id}")).await.unwrap();
    assert_eq!(
        stored["caller_pool"],
        json!(["+12125550199", "+13125550199"])
    );
    assert_eq!(
        stored["caller_limits"],
        json!({"per_hour": 40, "per_day": 150})
    );
}

async fn a_number_is_rested_and_restored(browser: &mut Browser, api: &campaigns_cli::ApiClient) {
    let number = "+12125550199";
    let row = format!("#number-health tr[data-number='{number}']");
    browser.click("a[data-nav=account]").await;
    browser.find(&row).await;
    assert_eq!(browser.text(&format!("{row} td:nth-child(2)")).await, "0");
    browser
        .assert_every_control_is_labelled("the account page with number health")
        .await;
    browser.click(&format!("{row} button")).await;
    let status = format!("document.querySelector(\"{row} [data-status]\")?.dataset.status");
    browser
        .until(
            "the number rests",
            Duration::from_secs(10),
            &format!("{status} === 'resting'"),
        )
        .await;
    let shown = browser.text(&format!("{row} [data-status]")).await;
    assert!(
        shown.contains("Resting until") && shown.contains("(by hand)"),
        "{shown}"
    );
    browser.shot("number-resting").await;
    let listed = api.get("/v1/caller-numbers").await.unwrap();
    let entry = (listed["items"].as_array().unwrap().iter())
        .find(|n| n["number"] == number)
        .cloned()
        .unwrap();
    assert_eq!(entry["resting"], true, "{entry}");
    browser.click(&format!("{row} button")).await;
    browser
        .until(
            "the number is restored",
            Duration::from_secs(10),
            &format!("{status} === 'in_use'"),
        )
        .await;
    let listed = api.get("/v1/caller-numbers").await.unwrap();
    assert!(
        (listed["items"].as_array().unwrap().iter()).all(|n| n["resting"] == false),
        "{listed}"
    );
}

async fn a_registry_extract_is_uploaded_from_the_account_page(
    browser: &mut Browser,
    api: &campaigns_cli::ApiClient,
) {
    let fresh = "document.querySelector(\"#registry-table tr[data-registry='us_national_dnc'] [data-fresh]\")?.dataset.fresh";
    browser.click("a[data-nav=account]").await;
    browser.find("#registry-table").await;
    assert_eq!(
        browser.eval(fresh).await,
        json!("false"),
        "none uploaded yet"
    );
    browser
        .assert_every_control_is_labelled("the account page with the registries")
        .await;
    let file = std::env::temp_dir().join(format!("dnc-{}.txt", std::process::id()));
    std::fs::write(&file, "2125550100\n212,5550101\nnot a number\n").unwrap();
    // The runner's day (its clock is virtual), not the browser's.
    browser
        .eval("document.querySelector('#downloaded-on').value = '2026-06-08'")
        .await;
    browser
        .find("#registry-file")
        .await
        .send_keys(&file.display().to_string())
        .await
        .expect("the file input takes the extract");
    browser.click("#registry-upload button[type=submit]").await;
    browser
        .until(
            "the extract is loaded",
            Duration::from_secs(30),
            &format!("{fresh} === 'true'"),
        )
        .await;
    let row = "#registry-table tr[data-registry='us_national_dnc']";
    let shown = browser.text(&format!("{row} td:nth-child(3)")).await;
    assert_eq!(shown, "2", "two numbers loaded");
    let listed = api.get("/v1/registries").await.unwrap();
    assert_eq!(listed["uploads"][0]["bad_lines"], 1, "{listed}");
    browser.shot("registry-loaded").await;
}

async fn a_pool_is_made_on_the_account_page_and_named_by_the_agent(
    browser: &mut Browser,
    api: &campaigns_cli::ApiClient,
    agent: &Value,
) {
    browser.click("a[data-nav=account]").await;
    browser.find("#pool-form").await;
    browser.fill("#pool-form [name=name]", "east").await;
    let numbers = "#pool-form [name=numbers]";
    browser
        .fill(numbers, "+1 212 555 0199, +1 646 555 0123")
        .await;
    browser.click("#pool-form button[type=submit]").await;
    let refused = browser
        .text("#pool-form [data-field=numbers] .field-error")
        .await;
    assert!(refused.contains("registered caller numbers"), "{refused}");
    let none = api.get("/v1/caller-pools").await.unwrap();
    let names: Vec<&str> = (none["items"].as_array().unwrap().iter())
        .filter_map(|p| p["name"].as_str())
        .collect();
    assert!(
        !names.contains(&"east"),
        "nothing refused was stored: {names:?}"
    );

    browser
        .fill(numbers, "+1 212 555 0199, +1 312 555 0199")
        .await;
    browser
        .fill("#pool-form [name='limits.per_hour']", "12")
        .await;
    browser.click("#pool-form button[type=submit]").await;
    let row = "#pool-table tr[data-pool=east]";
    browser.find(row).await;
    assert_eq!(
        browser.text(&format!("{row} td:nth-child(2)")).await,
        "+12125550199, +13125550199"
    );
    browser
        .assert_every_control_is_labelled("the account page with caller pools")
        .await;
    let stored = api.get("/v1/caller-pools/east").await.unwrap();
    assert_eq!(stored["limits"]["per_hour"], 12, "{stored}");

    // The agent calls from it: its own pool must then be emptied, said beside the field.
    let id = agent["id"].as_str().unwrap();
    browser.click("a[data-nav=agents]").await;
    browser
        .click(&format!("tr[data-agent='{id}'] button.secondary"))
        .await;
    browser.fill("#agent-form [name=named_pool]", "east").await;
    browser.click("#agent-form button[type=submit]").await;
    let refused = browser
        .text("#agent-form [data-field=caller_pool] .field-error")
        .await;
    assert!(refused.contains("named pool"), "{refused}");
    browser.fill("#agent-form [name=caller_pool]", "").await;
    browser.click("#agent-form button[type=submit]").await;
    browser
        .until(
            "the agent is saved",
            Duration::from_secs(10),
            "!document.querySelector('#agent-form')",
        )
        .await;
    let saved = api.get(&format!("/v1/agents/{id}")).await.unwrap();
    assert_eq!(saved["named_pool"], "east", "{saved}");
    assert_eq!(saved["caller_pool"], Value::Null, "{saved}");
}
