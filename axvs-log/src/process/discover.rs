//! Finding recordings: every directory under the roots that holds a camera manifest, raw logs
//! (`NNN.axvslog`) or archives (`N_log.npz`), searched recursively.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::job::OUTPUT_DIR;
use super::ProcessError;
use crate::manifest::{self, MANIFEST_FILE};

/// One recording: a log directory and its cameras.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    /// The directory of its logs.
    pub log_dir: PathBuf,
    /// Its manifest, when it has one.
    pub manifest: Option<PathBuf>,
    /// Where its outputs go (`.../camera_timestamps`).
    pub output_dir: PathBuf,
    /// Its cameras, by id.
    pub sources: Vec<Source>,
    /// Why the manifest could not be read, when it could not (its logs are still processed).
    pub manifest_error: Option<String>,
}

/// One camera of a recording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Source id.
    pub id: u8,
    /// Camera name, from the manifest.
    pub name: Option<String>,
    /// The log to read: the archive when there is one (the truth: exactly the frames the video holds), else
    /// the raw log (see [`crate::truth`]); `None` when the manifest names a camera with neither.
    pub log: Option<PathBuf>,
    /// The device metadata sidecar, when there is one.
    pub device: Option<PathBuf>,
}

/// The source id a log or archive file name belongs to: `NNN.axvslog` or `N_log.npz`.
pub fn log_source_id(name: &str) -> Option<(u8, bool)> {
    if let Some(id) = name.strip_suffix(&format!(".{}", crate::file::EXTENSION)) {
        return (id.len() == 3 && id.bytes().all(|b| b.is_ascii_digit()))
            .then(|| id.parse().ok())
            .flatten()
            .map(|id| (id, true));
    }
    let id = name.strip_suffix("_log.npz")?;
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) && (id == "0" || !id.starts_with('0')))
        .then(|| id.parse().ok())
        .flatten()
        .map(|id| (id, false))
}

/// Every recording under `roots`, in path order; outputs under `output` as described in
/// [`super::plan`].
pub fn find_recordings(roots: &[PathBuf], output: Option<&Path>) -> Result<Vec<Recording>, ProcessError> {
    let mut recordings = Vec::new();
    let mut outputs: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    for root in roots {
        let meta = std::fs::metadata(root).map_err(|e| ProcessError::Root {
            path: root.clone(),
            reason: e.to_string(),
        })?;
        if !meta.is_dir() {
            return Err(ProcessError::Root {
                path: root.clone(),
                reason: "not a directory".into(),
            });
        }
        let mut dirs = Vec::new();
        walk(root, &mut dirs)?;
        for dir in dirs {
            let Some(mut recording) = recording_in(&dir)? else {
                continue;
            };
            recording.output_dir = match output {
                None => super::job::outputs_of(&dir),
                Some(out) => {
                    let rel = dir.strip_prefix(root).unwrap_or(Path::new(""));
                    match roots.len() {
                        1 => out.join(rel),
                        _ => out.join(root.file_name().unwrap_or_default()).join(rel),
                    }
                    .join(OUTPUT_DIR)
                }
            };
            if let Some(first) = outputs.insert(recording.output_dir.clone(), dir.clone()) {
                return Err(ProcessError::OutputClash {
                    first,
                    second: dir,
                    output: recording.output_dir,
                });
            }
            recordings.push(recording);
        }
    }
    if recordings.is_empty() {
        let roots: Vec<String> = roots.iter().map(|r| r.display().to_string()).collect();
        return Err(ProcessError::Empty(roots.join(", ")));
    }
    Ok(recordings)
}

/// `dir` and every directory below it, in path order; links are not followed (no loops), and
/// processing outputs are not searched.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ProcessError> {
    out.push(dir.to_path_buf());
    let io = |source| ProcessError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut children = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_type().map_err(io)?.is_dir() && entry.file_name() != OUTPUT_DIR {
            children.push(entry.path());
        }
    }
    children.sort();
    for child in children {
        walk(&child, out)?;
    }
    Ok(())
}

/// The recording in `dir`, if it holds a manifest or a log.
fn recording_in(dir: &Path) -> Result<Option<Recording>, ProcessError> {
    let io = |source| ProcessError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut sources: BTreeMap<u8, Source> = BTreeMap::new();
    let mut manifest_path = None;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        if entry.file_type().map_err(io)?.is_file() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    for name in &names {
        if name == MANIFEST_FILE {
            manifest_path = Some(dir.join(name));
        } else if let Some((id, raw)) = log_source_id(name) {
            let source = sources.entry(id).or_insert_with(|| Source {
                id,
                name: None,
                log: None,
                device: crate::device::find_sidecar(dir, id),
            });
            if !raw || source.log.is_none() {
                source.log = Some(dir.join(name));
            }
        }
    }
    if manifest_path.is_none() && sources.is_empty() {
        return Ok(None);
    }
    let mut manifest_error = None;
    if let Some(path) = &manifest_path {
        match manifest::read(path) {
            Ok(m) => {
                for s in m.sources {
                    sources
                        .entry(s.id)
                        .or_insert_with(|| Source {
                            id: s.id,
                            name: None,
                            log: None,
                            device: None,
                        })
                        .name = Some(s.name);
                }
            }
            Err(e) => manifest_error = Some(e.to_string()),
        }
    }
    Ok(Some(Recording {
        log_dir: dir.to_path_buf(),
        manifest: manifest_path,
        output_dir: PathBuf::new(),
        sources: sources.into_values().collect(),
        manifest_error,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_names_give_their_source() {
        assert_eq!(log_source_id("003.axvslog"), Some((3, true)));
        assert_eq!(log_source_id("255.axvslog"), Some((255, true)));
        assert_eq!(log_source_id("3.axvslog"), None);
        assert_eq!(log_source_id("256.axvslog"), None);
        assert_eq!(log_source_id("3_log.npz"), Some((3, false)));
        assert_eq!(log_source_id("0_log.npz"), Some((0, false)));
        assert_eq!(log_source_id("101_log.npz"), Some((101, false)));
        assert_eq!(log_source_id("003_log.npz"), None, "archive ids are not padded");
        assert_eq!(log_source_id("300_log.npz"), None);
        assert_eq!(log_source_id("_log.npz"), None);
        assert_eq!(log_source_id("a_log.npz"), None);
        assert_eq!(log_source_id("camera_manifest.yaml"), None);
    }

    #[test]
    fn recordings_are_found_recursively_with_outputs_mirrored() {
        let root = tempfile::tempdir().expect("tempdir");
        let a = root.path().join("day1/a");
        let b = root.path().join("day1/b");
        let skipped = root.path().join("day1/a/camera_timestamps");
        for d in [&a, &b, &skipped] {
            std::fs::create_dir_all(d).expect("dir");
        }
        std::fs::write(a.join("001.axvslog"), b"").expect("write");
        std::fs::write(a.join("1_log.npz"), b"").expect("write");
        std::fs::write(a.join("2_log.npz"), b"").expect("write");
        std::fs::write(a.join("002.axvsdev"), b"").expect("write");
        std::fs::write(skipped.join("9_log.npz"), b"").expect("write");
        std::fs::write(b.join(MANIFEST_FILE), "sources:\n- id: 7\n  name: left\n").expect("write");
        let found = find_recordings(&[root.path().to_path_buf()], None).expect("found");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].log_dir, a);
        assert_eq!(found[0].output_dir, a.join(OUTPUT_DIR));
        let ids: Vec<(u8, Option<PathBuf>)> = found[0].sources.iter().map(|s| (s.id, s.log.clone())).collect();
        assert_eq!(
            ids,
            [(1, Some(a.join("1_log.npz"))), (2, Some(a.join("2_log.npz")))],
            "the archive is preferred to the raw log"
        );
        assert_eq!(found[0].sources[1].device, Some(a.join("002.axvsdev")));
        assert_eq!(found[1].sources[0].name.as_deref(), Some("left"));
        assert_eq!(found[1].sources[0].log, None);

        let out = root.path().join("out");
        let mirrored = find_recordings(&[root.path().join("day1")], Some(&out)).expect("found");
        assert_eq!(mirrored[1].output_dir, out.join("b").join(OUTPUT_DIR));
        let two = find_recordings(&[a.clone(), b.clone()], Some(&out)).expect("found");
        assert_eq!(two[0].output_dir, out.join("a").join(OUTPUT_DIR));

        let err = find_recordings(&[a.join("001.axvslog")], None).expect_err("a file");
        assert!(err.to_string().contains("not a directory"), "{err}");
        let err = find_recordings(&[root.path().join("none")], None).expect_err("missing");
        assert!(err.to_string().contains("none"), "{err}");
        let empty = root.path().join("empty");
        std::fs::create_dir(&empty).expect("dir");
        let err = find_recordings(&[empty], None).expect_err("nothing");
        assert!(matches!(err, ProcessError::Empty(_)), "{err}");
        let err = find_recordings(&[a.clone(), a.clone()], Some(&out)).expect_err("clash");
        assert!(matches!(err, ProcessError::OutputClash { .. }), "{err}");
    }
}
