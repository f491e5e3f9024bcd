//! `axvs collect`: a rig-across-PCs session copied from every host into one folder (see
//! `axvs_mcp::coordinator::collect`).

use std::path::PathBuf;

use clap::Args;

use super::CliError;

/// Arguments of `axvs collect`.
#[derive(Debug, Args)]
pub struct CollectArgs {
    /// The session's index, `<output_dir>/<session>.rig.json`, as `axvs run` of a rig with hosts wrote it.
    index: PathBuf,
    /// The folder to copy into (default: `<session>-collected` beside the index); a host's files go into
    /// `<folder>/<host>/<session>/`.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// Runs the command.
pub fn run(args: CollectArgs) -> Result<(), CliError> {
    if !args.index.is_file() {
        return Err(CliError::Argument(format!(
            "{}: no such index (axvs run of a rig with [[host]] tables writes <output_dir>/<session>.rig.json)",
            args.index.display()
        )));
    }
    let done = axvs_mcp::coordinator::collect(&args.index, args.output.as_deref(), &mut |line| errln!("axvs: {line}"))
        .map_err(|e| CliError::Recording(e.to_string()))?;
    outln!(
        "{}: {} file(s) copied ({:.1} MB), {} already whole",
        done.dest.display(),
        done.copied,
        done.bytes as f64 / 1e6,
        done.kept
    );
    Ok(())
}
