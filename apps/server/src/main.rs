//! `pitlane-server [serve|migrate|openapi]`. With no arguments and no environment it serves the
//! embedded shape: SQLite under ./data, in-process queue, and a demo tenant on first start.

use std::process::ExitCode;

use pitlane_app::{Config, StartError};

// Pages allocate many small strings; glibc's allocator spent a third of the server's time on
// them under load (and fragmented memory). mimalloc is made for this.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: pitlane-server [serve|migrate|openapi]

  serve    run the server (default)
  migrate  apply database migrations and exit; on PostgreSQL, with DATABASE_ADMIN_URL set,
           also create or update the application role of DATABASE_URL and its grants
  openapi  print the OpenAPI document and exit

Configuration comes from environment variables (and .env); see README.md.";

fn main() -> ExitCode {
    let command = std::env::args().nth(1).unwrap_or_else(|| "serve".into());
    if command == "openapi" {
        println!("{}", pitlane_web::api::document());
        return ExitCode::SUCCESS;
    }
    if !matches!(command.as_str(), "serve" | "migrate") {
        eprintln!("{USAGE}");
        return if matches!(command.as_str(), "-h" | "--help" | "help") {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(2)
        };
    }
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("pitlane-server: {err}");
            return ExitCode::from(2);
        }
    };
    pitlane_app::init_logging(config.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("pitlane-server: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match command.as_str() {
            "migrate" => pitlane_app::migrate(&config)
                .await
                .map(|()| println!("migrations applied")),
            _ => pitlane_web::serve(config).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => report(&err),
    }
}

fn report(err: &StartError) -> ExitCode {
    eprintln!("pitlane-server: {err}");
    ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(1))
}
