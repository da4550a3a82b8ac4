//! The importer against the local AWS emulator: the bad-input corpus, interrupted chunks,
//! continuations, bucket notifications, refusals.

mod corpus;
mod lifecycle;
mod pinned;
mod resume;
mod support;
