//! The importer against the local AWS emulator: the bad-input corpus, interrupted chunks,
//! continuations, bucket notifications, refusals.

mod corpus;
mod dead_letters;
mod lead_ids;
mod lifecycle;
mod pinned;
mod registries;
mod resume;
mod support;
