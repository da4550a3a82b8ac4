//! Prints the Twilio tables of `docs/providers.md` (refusals, outcomes) as the code has them:
//! `cargo run -p adapters --example twilio_tables`. A test checks the guide holds them verbatim.

fn main() {
    println!("{}", adapters::voice::twilio::error_table_markdown());
    println!("{}", adapters::voice::twilio::outcome_table_markdown());
}
