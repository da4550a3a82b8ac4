//! `campaigns`: the command line over the campaign API, for the local runner or a deployed
//! stack (the commands are `campaigns_cli::commands`).

use campaigns_cli::commands::{Cli, run};
use clap::Parser;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let cli = Cli::parse();
    if let Err(err) = run(cli, &mut std::io::stdout()).await {
        eprintln!("error: {err}");
        std::process::exit(1);
    }
}
