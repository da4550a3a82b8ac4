//! Provider webhook requests per answered Twilio call, end to end: the Twilio adapter against a
//! fake Twilio that runs the TwiML it is given and posts every callback it would (status,
//! machine detection, call flow) to the engine's routes over HTTP. Prints a Markdown table (for
//! BENCHMARKS.md) with the count before this design (four status callbacks requested per call,
//! plus the machine-detection callback).
//!
//!   ./infra/bench.sh twilio

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use system_tests::fake_twilio::{self, Answer};
use system_tests::world::contacts_in;

fn noon() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-10T16:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

struct Case {
    label: &'static str,
    handling: Value,
    answer: Answer,
    transfer: bool,
    /// Webhooks per call before: initiated, ringing, answered, completed (+ AMD).
    before: u32,
}

/// The campaigns and calls measured.
fn cases() -> [Case; 7] {
    let transfer = "+13125550123";
    [
        Case {
            label: "no detection, no transfer number, a person",
            handling: json!({"voicemail_detection": false}),
            answer: Answer::Human,
            transfer: false,
            before: 4,
        },
        Case {
            label: "transfer number, a person, no transfer asked",
            handling: json!({"voicemail_detection": false, "transfer_number": transfer}),
            answer: Answer::Human,
            transfer: false,
            before: 4,
        },
        Case {
            label: "transfer number, a person, transfer asked",
            handling: json!({"voicemail_detection": false, "transfer_number": transfer}),
            answer: Answer::Human,
            transfer: true,
            before: 4,
        },
        Case {
            label: "detection (hang up), a person",
            handling: json!({"voicemail_detection": true}),
            answer: Answer::Human,
            transfer: false,
            before: 5,
        },
        Case {
            label: "detection (hang up), a machine",
            handling: json!({"voicemail_detection": true}),
            answer: Answer::Machine,
            transfer: false,
            before: 5,
        },
        Case {
            label: "detection (leave message), a machine",
            handling: json!({"voicemail_detection": true, "voicemail_action": "leave_message"}),
            answer: Answer::Machine,
            transfer: false,
            before: 5,
        },
        Case {
            label: "detection and transfer number, a person",
            handling: json!({"voicemail_detection": true, "transfer_number": transfer}),
            answer: Answer::Human,
            transfer: false,
            before: 5,
        },
    ]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    println!("\n## Twilio webhook requests per answered call (fake Twilio, end to end)\n");
    println!(
        "| campaign and call | before | now | of which status / machine verdict / call flow | agent reports |"
    );
    println!("|---|---:|---:|---|---:|");
    for (i, case) in cases().iter().enumerate() {
        measure(i, case).await?;
    }
    Ok(())
}

/// One call of `case`, placed, played and reported: its table row.
async fn measure(i: usize, case: &Case) -> anyhow::Result<()> {
    let day = json!([{ "start": "08:00", "end": "21:00" }]);
    let campaign = serde_json::from_value(json!({
        "name": case.label, "agent_id": "agent-1",
        "schedule": { "window": { "monday": day, "tuesday": day, "wednesday": day,
            "thursday": day, "friday": day, "saturday": day, "sunday": day } },
        "call_handling": case.handling,
    }))?;
    let (world, fake) = fake_twilio::world(
        &format!("bench-twilio-{i}"),
        campaign,
        contacts_in(&["212"], 1),
        noon(),
    )
    .await?;
    let sid = fake_twilio::dial_due_leads(&world, &fake).await?.remove(0);
    fake.answer(&sid, case.answer).await;
    let mut reports = 0;
    if case.transfer {
        fake.agent_reports(&sid, json!({"transfer": true})).await;
        reports += 1;
    }
    fake.stream_ends(&sid).await;
    // The agent reports its disposition after a conversation (a machine got none).
    if !fake.call(&sid).stream_parameters.is_empty() {
        fake.agent_reports(&sid, json!({"disposition": "interested"}))
            .await;
        reports += 1;
    }
    let deliveries = fake.deliveries();
    let kind = |part: &str| deliveries.iter().filter(|(p, _)| p.contains(part)).count();
    let refused = deliveries.iter().filter(|(_, s)| *s >= 300).count();
    anyhow::ensure!(refused == 0, "{}: {refused} callbacks refused", case.label);
    anyhow::ensure!(
        fake.call(&sid).status == "completed",
        "{}: the call ended",
        case.label
    );
    let verdicts = if fake.call(&sid).field("MachineDetection").is_some() {
        1
    } else {
        0
    };
    let flows = kind("/v1/call-flow/");
    let status = kind("/v1/call-events/") - verdicts;
    println!(
        "| {} | {} | **{}** | {status} / {verdicts} / {flows} | {reports} |",
        case.label,
        case.before,
        deliveries.len()
    );
    Ok(())
}
