//! EventBridge Scheduler's part in a local run: the campaigns' tick schedules stored in the
//! emulator, fired at the tick handler.

use std::sync::Arc;
use std::time::Duration;

use adapters::schedules::EventBridgeSchedules;
use adapters::store::DynamoStore;
use adapters::table_access::CALLER;
use engine::Engine;
use ports::{Clock, ScaledClock};

use crate::sleep_or_stop;

/// EventBridge Scheduler's part: every virtual minute, fire each enabled schedule stored in the
/// emulator (within its start and end) at the tick handler, with the schedule's own input.
pub(crate) async fn scheduler_loop(
    engine: Arc<Engine<DynamoStore>>,
    schedules: EventBridgeSchedules,
    clock: Arc<ScaledClock>,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let minute = clock.real(Duration::from_secs(60));
    // A campaign's tick still running when the next minute comes is not started twice (the
    // engine would be safe, but the work would be wasted).
    let running: Arc<std::sync::Mutex<std::collections::HashSet<String>>> = Arc::default();
    loop {
        let now = clock.now();
        match schedules.list().await {
            Ok(list) => {
                for schedule in list {
                    let live = schedule.enabled
                        && schedule.start.is_none_or(|s| s <= now)
                        && schedule.end.is_none_or(|e| now <= e);
                    if let (true, Some(input)) = (live, schedule.input) {
                        if !running
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(schedule.name.clone())
                        {
                            continue;
                        }
                        let (engine, running, name) =
                            (engine.clone(), running.clone(), schedule.name);
                        tokio::spawn(CALLER.scope("tick", async move {
                            if let Err(err) = tick::handle(&engine, input).await {
                                tracing::warn!(error = %err, "tick failed");
                            }
                            running
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .remove(&name);
                        }));
                    }
                }
            }
            Err(err) => tracing::warn!(error = %err, "listing schedules failed"),
        }
        if sleep_or_stop(&mut stopped, minute).await {
            return;
        }
    }
}
