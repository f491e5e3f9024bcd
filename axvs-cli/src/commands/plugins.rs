//! `axvs plugins`: where plugins are looked for, what became of every file found, and the plugins that ship
//! with axvs (loaded here to show them).

use std::path::PathBuf;

use clap::Args;

use super::CliError;
use axvs_session::backends::{Backends, PluginLoad};

/// Arguments of `axvs plugins`.
#[derive(Debug, Args)]
pub struct PluginsArgs {
    /// More plugin files or folders to look in (after AXVS_PLUGIN_PATH).
    dirs: Vec<PathBuf>,
}

/// Runs the command.
pub fn run(args: PluginsArgs) -> Result<(), CliError> {
    outln!("plugin ABI {}; search path:", axvs_plugin::abi_version());
    for entry in axvs_plugin::search_path(&args.dirs) {
        let state = if entry.path.exists() { "" } else { " (missing)" };
        outln!("  {}{state}", entry.path.display());
    }
    let mut backends = Backends::builtin();
    backends.load_plugins(&args.dirs);
    if backends.plugins().is_empty() {
        outln!("no plugins found on the search path");
    }
    for load in backends.plugins() {
        match load {
            PluginLoad::Loaded(info) => print_plugin(info, ""),
            PluginLoad::Refused(why) => outln!("refused: {why}"),
        }
    }
    for (backend, loaded) in backends.load_bundled() {
        match loaded {
            Ok(info) => print_plugin(info, " (ships with axvs; loaded when a rig uses it)"),
            Err(why) => outln!("{backend}: {why}"),
        }
    }
    Ok(())
}

fn print_plugin(info: &axvs_plugin::PluginInfo, note: &str) {
    outln!(
        "{}: plugin {} {}, ABI {}, backends: {}{note}",
        info.path.display(),
        info.name,
        info.version,
        info.abi,
        info.backends.join(", ")
    );
}
