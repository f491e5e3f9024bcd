//! `axvs genicam`: read, write, dump and load a GenICam camera's nodes.

use std::path::PathBuf;

use axvs_camera_genicam::{GenicamConfiguration, NodeMap, Selector, DEFAULT_BLACKLIST};
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
    /// Aravis device id.
    #[arg(long, group = "camera")]
    device_id: Option<String>,
    /// Position in `axvs discover`'s GenICam list.
    #[arg(long, group = "camera")]
    index: Option<u32>,
    /// Also look on Aravis' built-in Fake interface.
    #[arg(long)]
    fake: bool,
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
        /// Refuse a file made on another camera (model or serial differ).
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
    let failed = |e: axvs_camera_genicam::NodeError| CliError::Recording(e.to_string());
    let map = NodeMap::open(&selector, args.fake).map_err(failed)?;
    match args.action {
        Action::Read { node: Some(node) } => print!("{}", map.describe(&node).map_err(failed)?),
        Action::Read { node: None } => {
            let names = map.writable_nodes(&[]);
            println!("Found {} writable GenICam nodes:", names.len());
            for name in names {
                let value = map.read(&name).unwrap_or_else(|_| "<unreadable>".into());
                println!("  {name} = {value}");
            }
        }
        Action::Write { node, value } => {
            let observed = map.write(&node, &value).map_err(failed)?;
            println!("{node}: wrote '{value}', the camera reads back '{observed}'");
        }
        Action::Dump { file } => {
            let configuration = map.dump(&blacklist);
            configuration.write(&file).map_err(failed)?;
            println!(
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
                eprintln!("axvs: warning: {warning}");
            }
            println!(
                "Configuration applied to {} serial {}: {} entries applied, {} skipped (blacklisted), {} failed",
                map.model(),
                map.serial(),
                report.applied,
                report.skipped,
                report.failed.len()
            );
            for (node, why) in &report.failed {
                println!("  failed: {node}: {why}");
            }
        }
    }
    Ok(())
}
