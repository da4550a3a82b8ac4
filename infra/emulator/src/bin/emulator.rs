//! `emulator provision [--prefix P] [--template template.yaml]`: creates the template's
//! resources in the emulator at `$AWS_ENDPOINT_URL` and prints `export VAR=value` lines for
//! the functions' environment. Used by `infra/emulator.sh`.

use anyhow::Context;
use emulator::{ResourceSpecs, endpoint_from_env, provision, sdk_config, template_path};

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_default();
    if command != "provision" {
        anyhow::bail!("usage: emulator provision [--prefix P] [--template PATH]");
    }
    let mut prefix = "local".to_owned();
    let mut template = template_path();
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--prefix" => prefix = value,
            "--template" => template = value.into(),
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    let endpoint = endpoint_from_env()?;
    let specs = ResourceSpecs::from_file(&template)?;
    let config = sdk_config(&endpoint).await;
    let created = provision(&config, &specs, &prefix).await?;
    for (var, value) in created.env() {
        println!("export {var}={value}");
    }
    Ok(())
}
