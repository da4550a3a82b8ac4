//! The console's account, webhook and campaign-lifecycle pages in a real browser: the tenant's
//! plan, limits and caller numbers, the contact caps form, webhook endpoints with their
//! delivery log and Redeliver, and a dashboard that offers only what the campaign's status
//! allows.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use campaigns_cli::{ApiClient, ClientError};
use serde_json::{Value, json};

use crate::browser::Browser;
use crate::console::{console_world, draft_with_leads, sign_in};
use crate::support::wait_for;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_account_page_shows_the_plan_limits_and_caller_numbers_and_edits_the_contact_caps() {
    let (runner, api, key, _) = console_world().await;
    let mut browser = Browser::start("account").await;
    sign_in(&mut browser, &runner.base_url, &key).await;
    let tenant = api.get("/v1/tenant").await.unwrap();

    browser.click("a[data-nav=account]").await;
    browser.find("#plan").await;
    let fact = |key: &str| format!("[data-fact={key}]");
    assert_eq!(tenant["plan"], "enterprise");
    assert_eq!(browser.text(&fact("plan")).await, "Enterprise");
    assert_eq!(
        browser.text(&fact("live_campaigns")).await,
        "no limit (0 live now)",
        "Enterprise has no limit on live campaigns: {tenant}"
    );
    assert_eq!(browser.text(&fact("webhook_endpoints")).await, "up to 10");
    let requests = browser.text(&fact("requests_per_second")).await;
    let digits: String = requests.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(
        digits,
        tenant["limits"]["requests_per_second"].to_string(),
        "{requests}"
    );
    // Every registered number, one a line (the demo tenant's default and its pool).
    let numbers: Vec<&str> = (tenant["caller_numbers"].as_array().unwrap().iter())
        .map(|n| n.as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 3, "{tenant}");
    let number = numbers.join("\n");
    assert_eq!(browser.text("#caller-numbers").await, number);
    assert_eq!(browser.text("#countries").await, "US");
    browser
        .assert_every_control_is_labelled("the account page")
        .await;
    browser.shot("account").await;

    contact_caps_are_refused_beside_their_field_then_saved(&mut browser, &api).await;
    the_agents_page_shows_the_registered_caller_numbers(&mut browser, &number).await;
    browser.close().await;
    crate::support::shutdown(runner).await;
}

async fn contact_caps_are_refused_beside_their_field_then_saved(
    browser: &mut Browser,
    api: &ApiClient,
) {
    let defaults = json!({"per_local_day": 3, "per_7_days": 7});
    assert_eq!(api.get("/v1/contact-caps").await.unwrap(), defaults);
    assert_eq!(
        browser
            .eval("document.querySelector('#f-per_local_day').value")
            .await,
        "3"
    );
    browser.fill("#f-per_local_day", "8").await;
    browser.fill("#f-per_7_days", "7").await;
    browser.click("#caps button[type=submit]").await;
    let refused = browser
        .text("[data-field=per_local_day] .field-error")
        .await;
    assert!(refused.contains("cannot exceed per_7_days"), "{refused}");
    assert_eq!(
        browser
            .eval("document.querySelector('#f-per_local_day').getAttribute('aria-invalid')")
            .await,
        "true"
    );
    browser.shot("caps-refused").await;
    assert_eq!(
        api.get("/v1/contact-caps").await.unwrap(),
        defaults,
        "nothing refused was stored"
    );

    browser.fill("#f-per_local_day", "2").await;
    browser.fill("#f-per_7_days", "5").await;
    browser.click("#caps button[type=submit]").await;
    let saved = browser.text("#caps-saved").await;
    assert_eq!(saved, "Saved: 2 a day, 5 in 7 days.");
    assert_eq!(
        browser
            .eval("document.querySelectorAll('#caps .field-error').length")
            .await,
        0,
        "the earlier error is gone"
    );
    assert_eq!(
        api.get("/v1/contact-caps").await.unwrap(),
        json!({"per_local_day": 2, "per_7_days": 5})
    );
    browser.shot("caps-saved").await;
}

/// The agents page lists the numbers the operators registered, and the caller number field
/// names them.
async fn the_agents_page_shows_the_registered_caller_numbers(browser: &mut Browser, number: &str) {
    browser.click("a[data-nav=agents]").await;
    assert_eq!(browser.text("#agent-caller-numbers").await, number);
    browser.click("#add-agent").await;
    let hint = browser.text("[data-field=caller_number] .hint").await;
    assert!(hint.contains(&number.replace('\n', ", ")), "{hint}");
    browser
        .assert_every_control_is_labelled("the agents page with its caller numbers")
        .await;
    browser.shot("agents-caller-numbers").await;
    // Back on the account page, the caps read back as saved.
    browser.click("a[data-nav=account]").await;
    browser.find("#caps").await;
    assert_eq!(
        browser
            .eval("document.querySelector('#f-per_local_day').value")
            .await,
        "2"
    );
    assert_eq!(
        browser
            .eval("document.querySelector('#f-per_7_days').value")
            .await,
        "5"
    );
}

/// A receiver of webhooks on this machine: answers 200 and keeps each request's event id.
async fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let kept = seen.clone();
    let hook = move |headers: axum::http::HeaderMap| {
        let kept = kept.clone();
        async move {
            if let Some(id) = headers
                .get("campaigns-event-id")
                .and_then(|v| v.to_str().ok())
            {
                kept.lock().unwrap().push(id.to_owned());
            }
            axum::http::StatusCode::OK
        }
    };
    let app = axum::Router::new().route("/hook", axum::routing::post(hook));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhook_endpoints_are_added_edited_disabled_and_deleted_and_a_delivery_is_redelivered() {
    let (runner, api, key, agent) = console_world().await;
    let (url, seen) = receiver().await;
    let mut browser = Browser::start("webhooks").await;
    sign_in(&mut browser, &runner.base_url, &key).await;
    browser.click("a[data-nav=webhooks]").await;
    browser.find(".empty").await;

    let id =
        an_endpoint_is_refused_by_field_then_added_with_its_secret_once(&mut browser, &api, &url)
            .await;
    let spec = json!({"name": "Hooked", "agent_id": agent["id"], "pacing": {"calls_per_hour": 1}});
    let campaign = draft_with_leads(&api, spec, b"phone\n+12125550131\n").await;
    api.post(&format!("/v1/campaigns/{campaign}/launch"), &json!({}))
        .await
        .unwrap();
    let event = wait_for(
        "the launch's event at the receiver",
        Duration::from_secs(30),
        || {
            let first = seen.lock().unwrap().first().cloned();
            async move { first.map(Value::String) }
        },
    )
    .await;
    let event = event.as_str().unwrap();
    a_delivery_is_listed_and_redelivered(&mut browser, &api, &id, event, &seen).await;
    its_secret_is_rotated(&mut browser, &api, &id).await;
    the_endpoint_is_edited_disabled_and_deleted(&mut browser, &api, &id).await;
    browser.close().await;
    crate::support::shutdown(runner).await;
}

/// A private address and no events are refused beside their fields; then the endpoint is
/// added and its signing secret shown, once. Returns its id.
async fn an_endpoint_is_refused_by_field_then_added_with_its_secret_once(
    browser: &mut Browser,
    api: &ApiClient,
    url: &str,
) -> String {
    browser.click("#add-endpoint").await;
    browser
        .fill("#endpoint-form [name=url]", "https://10.0.0.1/hook")
        .await;
    browser.click("#endpoint-form button[type=submit]").await;
    let refused = browser.text("[data-field=url] .field-error").await;
    assert!(refused.contains("private"), "{refused}");
    let events = browser.text("[data-field=events] .field-error").await;
    assert!(events.contains("at least one event"), "{events}");
    browser
        .assert_every_control_is_labelled("the endpoint form")
        .await;
    browser.shot("endpoint-refused").await;

    browser.fill("#endpoint-form [name=url]", url).await;
    browser
        .click("#endpoint-form [name='event.campaign.status_changed']")
        .await;
    browser
        .fill("#endpoint-form [name=description]", "CRM")
        .await;
    browser.click("#endpoint-form button[type=submit]").await;
    let secret = browser.text("#endpoint-secret").await;
    assert!(secret.starts_with("whsec_"), "{secret}");
    browser.shot("endpoint-secret").await;
    let listed = api.get("/v1/webhook-endpoints").await.unwrap();
    let endpoint = &listed["items"][0];
    assert_eq!(
        (
            &endpoint["url"],
            &endpoint["events"],
            &endpoint["description"]
        ),
        (
            &json!(url),
            &json!(["campaign.status_changed"]),
            &json!("CRM")
        )
    );
    assert!(
        endpoint.get("secret").is_none(),
        "the API never shows it again"
    );
    let id = endpoint["id"].as_str().unwrap().to_owned();

    // Away and back, each page loaded before the next click (a page left while it loads
    // can still draw over the next one: DESIGN-NOTES, "The console").
    browser.click("a[data-nav=agents]").await;
    browser.find("#agent-caller-numbers").await;
    browser.click("a[data-nav=webhooks]").await;
    browser.find(&format!("tr[data-endpoint='{id}']")).await;
    assert_eq!(
        browser
            .eval("document.querySelector('#endpoint-secret')")
            .await,
        Value::Null,
        "the secret is not shown again"
    );
    browser
        .assert_every_control_is_labelled("the endpoint list")
        .await;
    id
}

/// The delivery log shows the launch's event delivered (HTTP 200); Redeliver sends it again.
async fn a_delivery_is_listed_and_redelivered(
    browser: &mut Browser,
    api: &ApiClient,
    endpoint: &str,
    event: &str,
    seen: &Arc<Mutex<Vec<String>>>,
) {
    let deliveries = format!("/v1/webhook-endpoints/{endpoint}/deliveries");
    let tries = |n: usize| {
        let (api, path) = (api.clone(), deliveries.clone());
        let event = event.to_owned();
        async move {
            let log = api.get(&path).await.ok()?;
            let d = log["items"]
                .as_array()?
                .iter()
                .find(|d| d["event"]["id"] == event)?;
            (d["status"] == "delivered" && d["attempts"].as_array()?.len() == n).then(|| d.clone())
        }
    };
    wait_for("the delivery is recorded", Duration::from_secs(30), || {
        tries(1)
    })
    .await;
    let row = format!("#delivery-table tr[data-event='{event}']");
    browser
        .click(&format!(
            "tr[data-endpoint='{endpoint}'] button[data-action=deliveries]"
        ))
        .await;
    browser.find(&row).await;
    assert_eq!(
        browser
            .eval(&format!("document.querySelector(\"{row}\").dataset.status"))
            .await,
        "delivered"
    );
    let first = browser.text(&format!("{row} td:nth-child(4)")).await;
    assert!(first.contains("HTTP 200"), "{first}");
    browser
        .assert_every_control_is_labelled("the delivery log")
        .await;
    browser.shot("deliveries").await;

    browser
        .click(&format!("{row} button[data-action=redeliver]"))
        .await;
    let count = || seen.lock().unwrap().iter().filter(|e| *e == event).count();
    wait_for(
        "the receiver hears it again",
        Duration::from_secs(30),
        || {
            let again = count() >= 2;
            async move { again.then_some(Value::Bool(true)) }
        },
    )
    .await;
    wait_for(
        "the second try is recorded",
        Duration::from_secs(30),
        || tries(2),
    )
    .await;
    browser.click("#deliveries-refresh").await;
    browser
        .until(
            "the log shows both tries",
            Duration::from_secs(10),
            &format!("document.querySelectorAll(\"{row} ol.history li\").length === 2"),
        )
        .await;
    browser.shot("redelivered").await;
}

/// Rotate secret: confirmed, the new secret shown once (not the old one), the row saying the
/// old one signs too until when, the API agreeing.
async fn its_secret_is_rotated(browser: &mut Browser, api: &ApiClient, id: &str) {
    let row = format!("tr[data-endpoint='{id}']");
    let before = browser
        .eval("document.querySelector('#endpoint-secret')?.textContent ?? ''")
        .await;
    browser
        .click(&format!("{row} button[data-action=rotate]"))
        .await;
    browser.click("#confirm-ok").await;
    browser
        .until(
            "the new secret is shown",
            Duration::from_secs(10),
            "document.querySelector('#endpoint-secret')?.textContent.startsWith('whsec_')",
        )
        .await;
    let secret = browser.text("#endpoint-secret").await;
    assert_ne!(secret, before, "a new secret");
    browser
        .until(
            "the row says the old secret still signs",
            Duration::from_secs(10),
            &format!("document.querySelector(\"{row} .hint\")?.textContent.startsWith('Old secret signs too until')"),
        )
        .await;
    let shown = api
        .get(&format!("/v1/webhook-endpoints/{id}"))
        .await
        .unwrap();
    assert!(shown["previous_secret_expires_at"].is_string(), "{shown}");
    browser
        .assert_every_control_is_labelled("the rotated endpoint")
        .await;
    browser.shot("endpoint-rotated").await;
}

async fn the_endpoint_is_edited_disabled_and_deleted(
    browser: &mut Browser,
    api: &ApiClient,
    id: &str,
) {
    let endpoint = |field: &'static str| {
        let (api, path) = (api.clone(), format!("/v1/webhook-endpoints/{id}"));
        move || {
            let (api, path) = (api.clone(), path.clone());
            async move { api.get(&path).await.ok().map(|e| e[field].clone()) }
        }
    };
    let row = format!("tr[data-endpoint='{id}']");
    browser
        .click(&format!("{row} button[data-action=edit]"))
        .await;
    browser
        .fill("#endpoint-form [name=description]", "CRM v2")
        .await;
    browser.click("#endpoint-form button[type=submit]").await;
    browser
        .until(
            "the edit is listed",
            Duration::from_secs(10),
            &format!("document.querySelector(\"{row} td:nth-child(3)\")?.textContent === 'CRM v2'"),
        )
        .await;
    assert_eq!(endpoint("description")().await, Some(json!("CRM v2")));

    browser
        .click(&format!("{row} button[data-action=toggle]"))
        .await;
    browser
        .until(
            "it shows Disabled",
            Duration::from_secs(10),
            &format!("document.querySelector(\"{row}\")?.dataset.enabled === 'false'"),
        )
        .await;
    assert_eq!(browser.text(&format!("{row} .badge")).await, "Disabled");
    assert_eq!(endpoint("enabled")().await, Some(json!(false)));
    browser.shot("endpoint-disabled").await;

    browser
        .click(&format!("{row} button[data-action=delete]"))
        .await;
    browser.click("#confirm-ok").await;
    browser
        .until(
            "the endpoint is gone",
            Duration::from_secs(10),
            &format!(
                "!document.querySelector(\"{row}\") && !document.querySelector('#deliveries')"
            ),
        )
        .await;
    let listed = api.get("/v1/webhook-endpoints").await.unwrap();
    assert_eq!(listed["items"], json!([]));
}

/// The dashboard's lifecycle buttons, by their `data-action`.
const OFFERED: &str = "[...document.querySelectorAll('#actions [data-action]')].map((b) => b.dataset.action).join(',')";

/// Opens campaign `id`'s dashboard and waits until it shows `status` and offers `actions`.
async fn dashboard_offers(browser: &Browser, base: &str, id: &str, status: &str, actions: &str) {
    let hash = format!("#/campaigns/{id}");
    if browser.eval("location.hash").await != json!(hash) {
        browser
            .client
            .goto(&format!("{base}/{hash}"))
            .await
            .unwrap();
    }
    browser
        .until(
            &format!("a {status} campaign offers [{actions}]"),
            Duration::from_secs(30),
            &format!(
                "document.querySelector('#campaign-status')?.textContent === '{status}' && {OFFERED} === '{actions}'"
            ),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_campaigns_dashboard_offers_only_the_actions_its_status_allows() {
    let (runner, api, key, agent) = console_world().await;
    let base = runner.base_url.clone();
    let mut browser = Browser::start("lifecycle").await;
    sign_in(&mut browser, &base, &key).await;
    let draft = api
        .post(
            "/v1/campaigns",
            &json!({"name": "Drafted", "agent_id": agent["id"]}),
        )
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The runner's clock starts on 2026-06-08: a start in July keeps it Scheduled.
    let later = json!({"name": "Later", "agent_id": agent["id"],
        "schedule": {"starts_at": "2026-07-01T14:00:00Z"}});
    let scheduled = launched(&api, later, "scheduled").await;
    // One call an hour over 20 leads: Active for minutes of the runner's clock.
    let slow = json!({"name": "Slow", "agent_id": agent["id"], "pacing": {"calls_per_hour": 1}});
    let active = launched(&api, slow, "active").await;
    match api
        .post(&format!("/v1/campaigns/{scheduled}/pause"), &json!({}))
        .await
    {
        Err(ClientError::Api(p)) => {
            assert_eq!((p.status, p.code.as_str()), (409, "invalid_transition"))
        }
        other => panic!("the API refuses to pause a Scheduled campaign: {other:?}"),
    }

    the_list_filters_by_status(&mut browser, &scheduled).await;
    browser
        .click(&format!("tr[data-campaign='{scheduled}'] a"))
        .await;
    dashboard_offers(&browser, &base, &scheduled, "Scheduled", "cancel").await;
    let rate = browser.text("[data-stat=connection_rate] dd").await;
    assert_eq!(rate, "—", "no call yet, no rate");
    browser.shot("scheduled-offers-cancel").await;

    dashboard_offers(&browser, &base, &draft, "Draft", "").await;
    browser
        .find(&format!("#actions a[href='#/campaigns/new/{draft}']"))
        .await;
    dashboard_offers(&browser, &base, &active, "Active", "pause,cancel").await;
    browser.click("#actions [data-action=pause]").await;
    dashboard_offers(&browser, &base, &active, "Paused", "resume,cancel").await;
    browser.shot("paused-offers-resume").await;

    dashboard_offers(&browser, &base, &scheduled, "Scheduled", "cancel").await;
    browser.click("#actions [data-action=cancel]").await;
    browser.click("#confirm-ok").await;
    dashboard_offers(&browser, &base, &scheduled, "Cancelled", "").await;
    let view = api
        .get(&format!("/v1/campaigns/{scheduled}"))
        .await
        .unwrap();
    assert_eq!(view["status"], "cancelled");
    browser
        .assert_every_control_is_labelled("a cancelled campaign's dashboard")
        .await;
    browser.shot("cancelled-offers-nothing").await;
    browser.close().await;
    crate::support::shutdown(runner).await;
}

/// A campaign of `spec` with 20 leads, launched; checks it went to `status`. Its id.
async fn launched(api: &ApiClient, spec: Value, status: &str) -> String {
    let csv: String = (0..20).fold("phone\n".into(), |csv, i| {
        csv + &format!("+1312555{:04}\n", 200 + i)
    });
    let id = draft_with_leads(api, spec, csv.as_bytes()).await;
    let view = api
        .post(&format!("/v1/campaigns/{id}/launch"), &json!({}))
        .await
        .unwrap();
    assert_eq!(view["status"], status, "{view}");
    id
}

/// The campaign list's status filter shows the Scheduled campaign alone.
async fn the_list_filters_by_status(browser: &mut Browser, scheduled: &str) {
    let rows = "document.querySelectorAll('tr[data-campaign]')";
    // Signed in on the (then empty) list: away and back, to list what was made since.
    browser.click("a[data-nav=agents]").await;
    browser.find("#add-agent").await;
    browser.click("a[data-nav=campaigns]").await;
    browser
        .until(
            "every campaign listed",
            Duration::from_secs(10),
            &format!("{rows}.length === 3"),
        )
        .await;
    browser.select("#status-filter", "scheduled").await;
    browser
        .until(
            "the filter leaves the Scheduled campaign",
            Duration::from_secs(10),
            &format!("{rows}.length === 1 && {rows}[0].dataset.campaign === '{scheduled}'"),
        )
        .await;
    assert_eq!(
        browser.eval("location.hash").await,
        "#/campaigns?status=scheduled"
    );
    browser
        .assert_every_control_is_labelled("the filtered campaign list")
        .await;
    browser.shot("campaigns-filtered").await;
}
