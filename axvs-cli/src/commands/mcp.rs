//! `axvs mcp`: serve the MCP tools over stdio (default) or streamable HTTP.

use std::net::SocketAddr;
use std::path::PathBuf;

use axvs_mcp::http::{self, HttpOptions};
use axvs_mcp::paths::PathPolicy;
use axvs_mcp::AxvsMcp;
use clap::Args;

use super::CliError;

/// Arguments of `axvs mcp`.
#[derive(Debug, Args)]
pub struct McpArgs {
    /// Serve streamable HTTP at this address (e.g. 127.0.0.1:8765) instead of stdio; the endpoint is /mcp.
    #[arg(long, value_name = "ADDR:PORT")]
    http: Option<SocketAddr>,
    /// Bearer token HTTP clients must send; required for a non-loopback address.
    #[arg(long, env = "AXVS_MCP_TOKEN", hide_env_values = true, requires = "http")]
    token: Option<String>,
    /// A browser origin allowed besides localhost's (repeatable), e.g. `https://app.example.org`.
    #[arg(long = "allow-origin", value_name = "ORIGIN", requires = "http")]
    allow_origins: Vec<String>,
    /// Confine every path the tools read or write to this directory.
    #[arg(long)]
    root: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: McpArgs) -> Result<(), CliError> {
    let paths = match &args.root {
        Some(root) => PathPolicy::confined(root).map_err(CliError::Argument)?,
        None => PathPolicy::default(),
    };
    let server = AxvsMcp::new(paths);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Recording(format!("starting the async runtime: {e}")))?;
    // SIGINT and SIGTERM end serving; a running session is stopped and its files finished first (a second
    // signal while it stops is absorbed: the files matter more).
    let stop = async {
        let terminate = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut sig) => drop(sig.recv().await),
                Err(_) => std::future::pending::<()>().await,
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            () = terminate => {},
        }
        crate::relay::wake();
    };
    let served = match args.http {
        None => runtime
            .block_on(axvs_mcp::serve_stdio(server, stop))
            .map_err(CliError::Recording),
        Some(addr) => {
            let options = HttpOptions {
                addr,
                token: args.token.clone(),
                allowed_origins: args.allow_origins.clone(),
            };
            runtime
                .block_on(http::serve(
                    server,
                    options,
                    |bound| errln!("axvs: MCP over HTTP at http://{bound}{}", http::ENDPOINT),
                    stop,
                ))
                .map_err(|e| match e {
                    http::HttpError::TokenRequired(_) | http::HttpError::WeakToken => CliError::Argument(e.to_string()),
                    other => CliError::Recording(other.to_string()),
                })
        }
    };
    // The stdio transport reads standard input on a blocking thread, which a client that keeps its end
    // open never lets go: the server has stopped, so the process does not wait for it.
    runtime.shutdown_timeout(SHUTDOWN_WAIT);
    served
}

/// How long the end of serving waits for the runtime's threads (the session is already finished).
const SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_millis(500);
