//! `axvs verify`: each session checked against its certificate, one line per difference.

use std::path::PathBuf;

use axvs_session::certificate::{bag_for, verify, CertificateError};
use clap::Args;

use super::CliError;

/// Arguments of `axvs verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Session folders (each a BagIt bag, sealed when its recording ended or by `axvs recover`).
    #[arg(required = true)]
    sessions: Vec<PathBuf>,
}

/// Runs the command: every session is checked, whatever the others gave.
pub fn run(args: VerifyArgs) -> Result<(), CliError> {
    let (mut differ, mut unsealed) = (0, 0);
    for given in &args.sessions {
        let bag = bag_for(given);
        match verify(bag) {
            Ok(verified) => {
                for finding in &verified.findings {
                    outln!("{}: {finding}", given.display());
                }
                let seconds = verified.hashing.as_secs_f64();
                let mib = verified.bytes as f64 / (1024.0 * 1024.0);
                let rate = if seconds > 0.0 { mib / seconds } else { 0.0 };
                if verified.findings.is_empty() {
                    outln!(
                        "{}: whole: {} files, {mib:.1} MiB checked at {rate:.0} MiB/s",
                        given.display(),
                        verified.files
                    );
                } else {
                    differ += 1;
                    outln!(
                        "{}: {} difference(s) from its certificate",
                        given.display(),
                        verified.findings.len()
                    );
                }
            }
            Err(e @ CertificateError::NotSealed { .. }) => {
                unsealed += 1;
                errln!("axvs: {e}");
            }
            Err(e) => {
                differ += 1;
                errln!("axvs: {}: {e}", given.display());
            }
        }
    }
    match (differ, unsealed) {
        (0, 0) => Ok(()),
        (0, n) => Err(CliError::Argument(format!(
            "{n} of {} folders are not sealed sessions",
            args.sessions.len()
        ))),
        (n, _) => Err(CliError::Recording(format!(
            "{n} of {} sessions differ from their certificates",
            args.sessions.len()
        ))),
    }
}
