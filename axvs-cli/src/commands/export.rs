//! `axvs export`: a raw log to the original's archive, or (`axvs export nwb`) a session to an NWB file.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::CliError;

/// Arguments of `axvs export`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ExportArgs {
    /// To another format than the archive.
    #[command(subcommand)]
    to: Option<ExportTo>,
    /// The raw log (`.axvslog`).
    #[arg(required = true)]
    log: Option<PathBuf>,
    /// Directory for the archive (default: beside the log).
    #[arg(long)]
    out_dir: Option<PathBuf>,
}

/// The formats `axvs export` writes besides the archive.
#[derive(Debug, Subcommand)]
pub enum ExportTo {
    /// A session to one NWB 2.x file for DANDI: each camera an ImageSeries naming its videos (external
    /// files), with every saved frame's acquisition time from the log; the device and the session's
    /// metadata (subject, experimenter, description) from session.json.
    Nwb {
        /// The session folder (or its `data/`).
        session: PathBuf,
        /// The NWB file (default: `<session>.nwb` in the session's folder, beside `data/`).
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Metadata over the session's own, repeatable: `--meta species="Mus musculus" --meta sex=F`
        /// (subject_id, species, sex, age, experimenter, description, institution, lab, keywords, ...).
        #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = super::run::key_value)]
        meta: Vec<(String, String)>,
        /// Each frame's time: `acquisition` (when the host received it, from the log) or `mapped` (its
        /// device timestamp on the host clock: without the host's jitter; cameras with device timestamps).
        #[arg(long, default_value = "acquisition", value_name = "acquisition|mapped")]
        time: axvs_nwb::TimeBase,
    },
}

/// Runs the command.
pub fn run(args: ExportArgs) -> Result<(), CliError> {
    match (args.to, args.log) {
        (
            Some(ExportTo::Nwb {
                session,
                output,
                meta,
                time,
            }),
            _,
        ) => nwb(&session, output.as_deref(), &meta, time),
        (None, Some(log)) => super::export(&log, args.out_dir.as_deref()),
        (None, None) => Err(CliError::Argument("give a log to export, or `nwb SESSION`".into())),
    }
}

fn nwb(
    session: &std::path::Path,
    output: Option<&std::path::Path>,
    meta: &[(String, String)],
    time: axvs_nwb::TimeBase,
) -> Result<(), CliError> {
    let export = axvs_nwb::export_session(session, output, meta, time)?;
    for camera in &export.cameras {
        outln!(
            "camera {} '{}': {} frames in {} file(s)",
            camera.id,
            camera.name,
            camera.frame_times_us.len(),
            camera.files.len()
        );
    }
    if !export.missing_for_dandi.is_empty() {
        errln!(
            "axvs: warning: DANDI requires the subject's {}: add them with --meta KEY=VALUE",
            export.missing_for_dandi.join(", ")
        );
    }
    outln!("{}", export.path.display());
    Ok(())
}
