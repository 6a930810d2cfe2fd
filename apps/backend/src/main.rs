//! `postiz`: parse the command line and settings, then hand over to the library.

use clap::Parser;
use postiz_backend::cli::{Cli, Command};
use postiz_backend::{AppState, Application, registry};
use postiz_core::Settings;
use postiz_core::settings::SettingsSources;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // A Postiz .env file keeps working; variables already set win.
    let _ = dotenvy::dotenv();
    let settings = match Settings::load(&SettingsSources::from_process(registry::env_bindings())) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("postiz: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    postiz_core::telemetry::init_tracing(&settings.telemetry);
    let _ = postiz_core::telemetry::metrics_handle();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("postiz: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(cli.command.unwrap_or(Command::Serve), settings));
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = format!("{e:#}"), "postiz stopped");
            eprintln!("postiz: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Migrate => postiz_backend::startup::migrate(&settings).await,
        Command::Openapi { output } => {
            let spec = postiz_backend::startup::openapi_spec(settings).await?;
            if output == "-" {
                use std::io::Write;
                std::io::stdout().write_all(spec.as_bytes())?;
            } else {
                std::fs::write(&output, spec)?;
                tracing::info!(file = %output, "OpenAPI specification written");
            }
            Ok(())
        }
        Command::Serve => {
            let state = AppState::build(settings).await?;
            postiz_backend::startup::log_layout(&state);
            let app = Application::with_state(state)?;
            tracing::info!(port = app.port(), "serving HTTP");
            app.run_until_stopped().await?;
            Ok(())
        }
        Command::Worker => {
            let state = AppState::build(settings).await?;
            postiz_backend::startup::log_layout(&state);
            postiz_backend::startup::run_workers(state).await
        }
    }
}
