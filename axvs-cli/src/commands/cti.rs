//! `axvs cti`: choose the GenTL producer (`.cti`) that the `gentl` plugin uses, once, and check it.

use std::path::PathBuf;

use axvs_gentl::{cti, Producer};
use clap::{Args, Subcommand};

use super::CliError;

/// Arguments of `axvs cti`.
#[derive(Debug, Args)]
pub struct CtiArgs {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Check that the producer loads, and store it as this user's choice.
    Set {
        /// The producer file (`.cti`).
        path: PathBuf,
    },
    /// Say which producer is chosen and where from, and whether it loads (vendor, version, devices).
    Check {
        /// Check this producer instead of the chosen one.
        path: Option<PathBuf>,
    },
}

/// Runs the command.
pub fn run(args: CtiArgs) -> Result<(), CliError> {
    match args.action {
        Action::Set { path } => {
            let producer = Producer::load(&path).map_err(|e| CliError::Argument(e.to_string()))?;
            let file = cti::store(producer.path()).map_err(|source| CliError::Io {
                path: cti::config_file().map_or_else(|| "the axvs config folder".into(), |f| f.display().to_string()),
                source,
            })?;
            outln!("GenTL producer {} stored in {}", path.display(), file.display());
            Ok(())
        }
        Action::Check { path } => {
            let (path, source) = match path {
                Some(path) => (path, cti::CtiSource::Named),
                None => cti::resolve(None).map_err(|e| CliError::Recording(e.to_string()))?,
            };
            let label = match source {
                cti::CtiSource::Named => "as given".to_string(),
                other => other.to_string(),
            };
            outln!("GenTL producer: {} ({label})", path.display());
            let producer = Producer::load(&path).map_err(|e| CliError::Recording(e.to_string()))?;
            let info = producer.info();
            outln!(
                "loads: {} {} version {}, transport {}",
                info.vendor,
                info.model,
                info.version,
                info.tl_type
            );
            let devices = producer.devices().map_err(|e| CliError::Recording(e.to_string()))?;
            outln!("{} device(s)", devices.len());
            for d in devices {
                outln!("  {} {} {} serial {} ({})", d.id, d.vendor, d.model, d.serial, d.access);
            }
            Ok(())
        }
    }
}
