//! What a campaign produced, from plain values: the counters recomputed from leads (for
//! reconciliation), the analytics derived from counters and hourly items, and the rows of the
//! results export and of the clearances export.

mod analytics;
mod clearances;
mod export;
mod tally;

pub use analytics::{Analytics, HourPoint, OutcomeShare};
pub use clearances::{CLEARANCE_COLUMNS, clearance_header, clearance_rows};
pub use export::{ExportLayout, neutralize};
pub use tally::{HourTally, Tally, Timeline, hourly_from_leads};
