//! `campaigns-local`: the whole system on this machine (see the crate docs). Started by
//! `./infra/run.sh`, which also starts the local AWS emulator.

use adapters::voice::simulator::{FaultMix, SimulatorConfig};
use chrono::{DateTime, Utc};
use clap::Parser;
use local_runner::{LocalProvider, Runner, RunnerConfig};

#[derive(Parser)]
#[command(
    name = "campaigns-local",
    about = "Runs every handler of the campaign engine on this machine"
)]
struct Args {
    /// Run the sample campaign and show it live (without: just serve the API).
    #[arg(long)]
    demo: bool,
    /// Virtual seconds per real second (a day of calling in minutes). Default: 300 for the demo (faster outruns the local emulator: the campaign then takes more virtual days), 1 otherwise.
    #[arg(long)]
    speed: Option<f64>,
    /// Port for the API and webhooks (0: any free port).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Where the virtual clock starts (RFC 3339). Default: Monday 2026-06-08 08:30 New York time.
    #[arg(long)]
    start: Option<DateTime<Utc>>,
    /// Switch on the simulated network's faults (lost, duplicated, late provider events; 429/503/timeouts).
    #[arg(long)]
    faults: bool,
    /// Seed of the simulated network.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// The demo agent's voice provider: `simulator`, `retell` or `vapi` (that platform's adapter
    /// against a local fake of its API; the simulated network still decides each call's fate).
    #[arg(long, value_enum, default_value_t = LocalProvider::Simulator)]
    provider: LocalProvider,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "error".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let speed = args.speed.unwrap_or(if args.demo { 300.0 } else { 1.0 });
    let start = args.start.unwrap_or_else(|| {
        "2026-06-08T12:30:00Z"
            .parse()
            .unwrap_or_else(|_| Utc::now())
    });
    let mut simulator = SimulatorConfig::new(args.seed, "local-simulator-secret");
    if args.faults {
        simulator.faults = FaultMix::hostile();
    }
    let runner = Runner::start(RunnerConfig {
        port: args.port,
        speed,
        start_at: if args.demo || args.start.is_some() {
            start
        } else {
            Utc::now()
        },
        simulator,
        dialers: 4,
        // Fresh names each run: an emulator left running by an earlier run does not collide.
        prefix: emulator::unique_prefix("local"),
        tenant_requests_per_second: None,
        table_access: None,
        isolation: Default::default(),
        provider: args.provider,
    })
    .await?;
    if args.demo {
        println!("Running the demo campaign at {speed}x (Ctrl-C stops everything).");
        tokio::select! {
            result = local_runner::demo::run(&runner) => result?,
            _ = tokio::signal::ctrl_c() => println!("\nstopping"),
        }
    } else {
        let key = local_runner::demo::demo_tenant(&runner, "demo").await?;
        println!(
            "Console:  {}/  (sign in with the demo key)",
            runner.base_url
        );
        println!(
            "API:      {}/v1  (OpenAPI: {}/v1/openapi.json)",
            runner.base_url, runner.base_url
        );
        println!("Demo key: {key}");
        println!(
            "Table:    {}  (for `campaigns admin ...` with AWS_ENDPOINT_URL set)",
            runner.resources.name("CampaignsTable")?
        );
        println!(
            "Try:      CAMPAIGNS_URL={} CAMPAIGNS_KEY={key} cargo run -q -p campaigns-cli -- agents list",
            runner.base_url
        );
        println!("Serving at {speed}x; Ctrl-C stops everything.");
        let _ = tokio::signal::ctrl_c().await;
    }
    runner.shutdown().await;
    Ok(())
}
