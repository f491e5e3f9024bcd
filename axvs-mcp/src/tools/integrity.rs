//! `verify_session` and `export_nwb`: a session checked against its certificate, and exported for DANDI,
//! with the library calls `axvs verify` and `axvs export nwb` make.

use std::collections::BTreeMap;
use std::path::PathBuf;

use axvs_session::certificate::{bag_for, verify};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Reply;
use crate::args::tool_error;
use crate::paths::PathPolicy;

/// Arguments of `verify_session`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyArgs {
    /// Session folders (each sealed when its recording ended, or by `axvs recover`); a session's `data/`
    /// names its folder.
    #[schemars(length(min = 1))]
    pub sessions: Vec<String>,
}

/// One session checked.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VerifiedSession {
    /// The session folder (the bag).
    pub session: PathBuf,
    /// Every file whole and unchanged, and every camera's counts adding up.
    pub whole: bool,
    /// Files hashed.
    pub files: usize,
    /// Bytes hashed.
    pub bytes: u64,
    /// Each difference, one line each (`missing:`, `truncated:`, `altered:`, `extra:`, `unreadable:`,
    /// `accounting:`).
    pub findings: Vec<String>,
    /// Why it could not be checked (not a sealed session, an unreadable folder).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What `verify_session` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SessionsVerified {
    /// Each session, in the order given.
    pub sessions: Vec<VerifiedSession>,
    /// Every session whole.
    pub all_whole: bool,
}

/// `verify_session`: each session against its certificate; one that cannot be checked is reported, not a
/// failed call.
pub fn verify_session(paths: &PathPolicy, args: VerifyArgs) -> Reply<SessionsVerified> {
    let mut sessions = Vec::with_capacity(args.sessions.len());
    for (i, given) in args.sessions.iter().enumerate() {
        let path = paths.resolve(&format!("sessions[{i}]"), given)?;
        let bag = bag_for(&path).to_path_buf();
        sessions.push(match verify(&bag) {
            Ok(verified) => VerifiedSession {
                whole: verified.findings.is_empty(),
                files: verified.files,
                bytes: verified.bytes,
                findings: verified.findings.iter().map(ToString::to_string).collect(),
                error: None,
                session: bag,
            },
            Err(e) => VerifiedSession {
                whole: false,
                files: 0,
                bytes: 0,
                findings: Vec::new(),
                error: Some(e.to_string()),
                session: bag,
            },
        });
    }
    let whole = sessions.iter().filter(|s| s.whole).count();
    let text = format!("{whole} of {} session(s) whole", sessions.len());
    Ok((
        text,
        SessionsVerified {
            all_whole: whole == sessions.len(),
            sessions,
        },
    ))
}

/// Arguments of `export_nwb`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportNwbArgs {
    /// The session folder (or its `data/`).
    #[schemars(length(min = 1))]
    pub session: String,
    /// The NWB file to write (default: `<session>.nwb` in the session's folder, beside `data/`); never an
    /// existing file.
    pub output: Option<String>,
    /// Metadata over the session's own (subject_id, species, sex, age, experimenter, description, ...).
    pub metadata: Option<BTreeMap<String, String>>,
    /// Each frame's time: `acquisition` (when the host received it; the default) or `mapped` (its device
    /// timestamp on the host clock; cameras with device timestamps).
    pub time: Option<axvs_nwb::TimeBase>,
}

/// One camera's series in the NWB file.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ExportedSeries {
    /// Source id.
    pub id: u8,
    /// Name (the series' and its device's).
    pub name: String,
    /// Frames, each with its time.
    pub frames: usize,
    /// Its video files, as the NWB file names them.
    pub files: Vec<PathBuf>,
}

/// What `export_nwb` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct NwbExported {
    /// The NWB file.
    pub path: PathBuf,
    /// Each camera's series.
    pub cameras: Vec<ExportedSeries>,
    /// The subject fields DANDI requires that the metadata lacks.
    pub missing_for_dandi: Vec<String>,
}

/// `export_nwb`.
pub fn export_nwb(paths: &PathPolicy, args: ExportNwbArgs) -> Reply<NwbExported> {
    let session = paths.resolve("session", &args.session)?;
    let output = args.output.as_deref().map(|o| paths.resolve("output", o)).transpose()?;
    let extra: Vec<(String, String)> = args.metadata.unwrap_or_default().into_iter().collect();
    let export = axvs_nwb::export_session(&session, output.as_deref(), &extra, args.time.unwrap_or_default())
        .map_err(|e| tool_error!("{e}"))?;
    let mut text = format!("{}: {} camera(s)", export.path.display(), export.cameras.len());
    if !export.missing_for_dandi.is_empty() {
        text.push_str(&format!(
            "; DANDI requires the subject's {} (give them in `metadata`)",
            export.missing_for_dandi.join(", ")
        ));
    }
    Ok((
        text,
        NwbExported {
            path: export.path,
            cameras: export
                .cameras
                .into_iter()
                .map(|c| ExportedSeries {
                    id: c.id,
                    name: c.name,
                    frames: c.frame_times_us.len(),
                    files: c.files.into_iter().map(|(f, _)| f).collect(),
                })
                .collect(),
            missing_for_dandi: export.missing_for_dandi.iter().map(|s| s.to_string()).collect(),
        },
    ))
}
