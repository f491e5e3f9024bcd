//! `axvs genicam`: read, write, dump and load a GenICam camera's nodes, through Aravis or (with `--gentl`)
//! through the chosen GenTL producer: one node-access layer, the same YAML files.

use std::path::PathBuf;

use axvs_genicam::nodes::{GenicamConfiguration, NodeAccess, NodeError, DEFAULT_BLACKLIST};
use axvs_genicam::DeviceSelector as Selector;
use clap::{Args, Subcommand};

use super::CliError;

/// Arguments of `axvs genicam`: which camera (as in a rig), the blacklist, and what to do.
#[derive(Debug, Args)]
pub struct GenicamArgs {
    /// Camera serial number.
    #[arg(long, group = "camera")]
    serial: Option<String>,
    /// Camera model (the first such camera).
    #[arg(long, group = "camera")]
    model: Option<String>,
    /// Device id (Aravis', or the GenTL producer's).
    #[arg(long, group = "camera")]
    device_id: Option<String>,
    /// Position in `axvs discover`'s GenICam list.
    #[arg(long, group = "camera")]
    index: Option<u32>,
    /// Also look on Aravis' built-in Fake interface.
    #[arg(long, conflicts_with = "gentl")]
    fake: bool,
    /// The camera is a GenTL producer's device (the producer `axvs cti check` names), not an Aravis one.
    #[arg(long)]
    gentl: bool,
    /// With --gentl: this producer instead of the chosen one.
    #[arg(long, requires = "gentl")]
    cti: Option<PathBuf>,
    /// Nodes never dumped or loaded (repeatable; default: CustomerIDKey, CustomerValueKey, TestPattern).
    #[arg(short = 'b', long = "blacklisted-node", conflicts_with = "no_blacklist")]
    blacklist: Vec<String>,
    /// Dump and load every node.
    #[arg(long)]
    no_blacklist: bool,
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, Subcommand)]
enum Action {
    /// Show one node's metadata, or every writable node's value.
    Read {
        /// The node.
        node: Option<String>,
    },
    /// Write a node (even a blacklisted one) and show what the camera reads back.
    Write {
        /// The node.
        node: String,
        /// The value.
        value: String,
    },
    /// Save every writable node (with selector combinations) to a YAML file.
    Dump {
        /// The file (.yaml or .yml).
        file: PathBuf,
    },
    /// Apply a YAML file written by `dump`, in SFNC-safe phases.
    Load {
        /// The file.
        file: PathBuf,
        /// Refuse a file made on another camera (model or serial differ), and fail (exit 1) when any entry
        /// cannot be applied.
        #[arg(long)]
        strict: bool,
    },
}

/// Runs the command.
pub fn run(args: GenicamArgs) -> Result<(), CliError> {
    let selector = match (&args.serial, &args.model, &args.device_id, args.index) {
        (Some(s), ..) => Selector::Serial(s.clone()),
        (_, Some(m), ..) => Selector::Model(m.clone()),
        (_, _, Some(d), _) => Selector::DeviceId(d.clone()),
        (_, _, _, Some(i)) => Selector::Index(i),
        _ => {
            return Err(CliError::Argument(
                "name the camera with --serial, --model, --device-id or --index".into(),
            ))
        }
    };
    let blacklist: Vec<String> = if args.no_blacklist {
        Vec::new()
    } else if args.blacklist.is_empty() {
        DEFAULT_BLACKLIST.iter().map(|s| s.to_string()).collect()
    } else {
        args.blacklist.clone()
    };
    let failed = |e: NodeError| CliError::Recording(e.to_string());
    let mut map = open(&selector, &args)?;
    match args.action {
        Action::Read { node: Some(node) } => out!("{}", map.describe(&node).map_err(failed)?),
        Action::Read { node: None } => {
            let names = map.writable_nodes(&[]);
            outln!("Found {} writable GenICam nodes:", names.len());
            for name in names {
                let value = map.read(&name).unwrap_or_else(|_| "<unreadable>".into());
                outln!("  {name} = {value}");
            }
        }
        Action::Write { node, value } => {
            let observed = map.write(&node, &value).map_err(failed)?;
            outln!("{node}: wrote '{value}', the camera reads back '{observed}'");
        }
        Action::Dump { file } => {
            let configuration = map.dump(&blacklist);
            configuration.write(&file).map_err(failed)?;
            outln!(
                "Configuration saved: {} nodes of {} serial {} written to {}",
                configuration.nodes.len(),
                configuration.camera_model,
                configuration.camera_serial_number,
                file.display()
            );
        }
        Action::Load { file, strict } => {
            let configuration = GenicamConfiguration::read(&file).map_err(failed)?;
            let report = map.load(&configuration, strict, &blacklist).map_err(failed)?;
            if let Some(warning) = &report.identity_warning {
                errln!("axvs: warning: {warning}");
            }
            outln!(
                "Configuration applied to {} serial {}: {} entries applied, {} skipped (blacklisted), {} failed",
                map.model(),
                map.serial(),
                report.applied,
                report.skipped,
                report.failed.len()
            );
            for (node, why) in &report.failed {
                outln!("  failed: {node}: {why}");
            }
            if let (true, Some((node, why))) = (strict, report.failed.first()) {
                return Err(CliError::Recording(format!(
                    "{}: {} of its entries could not be applied (--strict), the first {node}: {why}",
                    file.display(),
                    report.failed.len()
                )));
            }
        }
    }
    Ok(())
}

/// The node map of the camera the arguments name.
fn open(selector: &Selector, args: &GenicamArgs) -> Result<Box<dyn NodeAccess>, CliError> {
    axvs_session::nodes::open(selector, args.fake, args.gentl, args.cti.as_deref()).map_err(|e| {
        if e.contains("built without") {
            CliError::Argument(e)
        } else {
            CliError::Recording(e)
        }
    })
}
