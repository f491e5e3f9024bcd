//! A session's certificate: its folder sealed as a BagIt bag (RFC 8493), so that anyone can check, years
//! later, that every file is whole and unchanged ([`verify()`]), and that each camera's counts still add up.
//!
//! A session folder is the bag: every file the session writes (videos, logs, device sidecars, archives, the
//! camera manifest, `session.json`, the report) is its payload, in `data/`; at the folder's root lie BagIt's
//! tag files (`bagit.txt`, `bag-info.txt`, the SHA-256 manifests) and axvs' own, [`CERTIFICATE_FILE`]: each
//! payload file's size and each camera's accounting. The original's tools find a session's manifest and
//! archives in `data/` (they search a recording's folder recursively).
//!
//! ```
//! use axvs_session::certificate::{seal, verify, CameraAccount, PAYLOAD_DIR};
//! let bag = tempfile::tempdir()?;
//! std::fs::create_dir(bag.path().join(PAYLOAD_DIR))?;
//! std::fs::write(bag.path().join("data/001.mp4"), b"video")?;
//! seal(bag.path(), &[], &Default::default())?;
//! assert!(verify(bag.path())?.findings.is_empty());
//! std::fs::write(bag.path().join("data/001.mp4"), b"vide0")?;
//! assert_eq!(verify(bag.path())?.findings.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod hash;
mod verify;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use hash::{hash_file, Hashed};
pub use verify::{misplaced, verify, Finding, Verification};

pub use axvs_log::bag::{
    bag_of, payload_dir, session_bag_of, BAGIT_FILE, BAG_INFO_FILE, CERTIFICATE_FILE, MANIFEST_FILE, PAYLOAD_DIR,
    TAG_MANIFEST_FILE,
};
/// The BagIt version written.
pub const BAGIT_VERSION: &str = "1.0";

/// Why a bag could not be sealed or checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CertificateError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The folder is not a sealed session (bad input).
    #[error("{}: not a sealed session ({reason})", path.display())]
    NotSealed {
        /// The folder.
        path: PathBuf,
        /// What is missing.
        reason: String,
    },
}

impl CertificateError {
    fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CertificateError + '_ {
        move |source| CertificateError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// One camera's figures at the end of its session: what the certificate vouches for, and what
/// [`verify()`] recomputes from the files.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CameraAccount {
    /// Its source id.
    pub id: u8,
    /// Its name in the rig.
    pub name: String,
    /// Frames it acquired (unknown after a crash: the counters died with the process).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquired: Option<u64>,
    /// Frames saved: in its video and logged.
    pub saved: u64,
    /// Frames acquired but not saved, by reason (unknown after a crash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dropped: Option<BTreeMap<String, u64>>,
    /// Its video files, in order, relative to the bag (`data/...`), when the bag holds them.
    #[serde(default)]
    pub videos: Vec<String>,
    /// Frames its video files held when sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video_frames: Option<u64>,
    /// Its archive, relative to the bag, when the bag holds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub archive: Option<String>,
    /// Frame entries its archive held when sealed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logged_frames: Option<u64>,
}

impl CameraAccount {
    /// Frames dropped, all reasons together, when known.
    pub fn dropped_total(&self) -> Option<u64> {
        self.dropped.as_ref().map(|d| d.values().sum())
    }
}

/// What [`CERTIFICATE_FILE`] holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Certificate {
    /// The axvs that sealed the bag.
    pub software: String,
    /// When (UTC, RFC 3339).
    pub sealed_utc: String,
    /// Each payload file, by its path in the bag.
    pub files: BTreeMap<String, FileEntry>,
    /// Each camera's accounting.
    pub cameras: Vec<CameraAccount>,
}

/// One payload file in the certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Its size in bytes (a shorter file was cut; one of the same size, altered).
    pub bytes: u64,
    /// Its SHA-256 was computed as its bytes were written (a video whose muxer wrote each byte once, in
    /// order), not by reading it back.
    #[serde(default)]
    pub hashed_as_written: bool,
}

/// What sealing wrote.
#[derive(Debug, Clone)]
pub struct Sealed {
    /// The bag.
    pub bag: PathBuf,
    /// Payload files.
    pub files: usize,
    /// Payload bytes.
    pub bytes: u64,
    /// Payload files whose digest was computed as they were written (not read back).
    pub hashed_as_written: usize,
}

/// Seals `bag`: hashes every file in its `data/` and writes the tag files, each whole (a new file synced and
/// renamed over the old), the tag manifest last. A file in `written` (by its path) whose size is still the
/// one hashed as it was written is not read again. Sealing again (after `axvs recover` changed a file) writes
/// them anew.
pub fn seal(
    bag: &Path,
    cameras: &[CameraAccount],
    written: &BTreeMap<PathBuf, Hashed>,
) -> Result<Sealed, CertificateError> {
    let files = payload_files(bag)?;
    let mut manifest = String::new();
    let mut sizes = BTreeMap::new();
    let (mut bytes, mut as_written) = (0, 0);
    for relative in &files {
        let path = bag.join(relative);
        let size = std::fs::metadata(&path).map_err(CertificateError::io(&path))?.len();
        let (hashed, hashed_as_written) = match written.get(&path) {
            Some(known) if known.bytes == size => (known.clone(), true),
            _ => (hash_file(&path)?, false),
        };
        as_written += usize::from(hashed_as_written);
        manifest.push_str(&format!("{}  {}\n", hashed.sha256, encode_path(relative)));
        bytes += hashed.bytes;
        sizes.insert(
            relative.clone(),
            FileEntry {
                bytes: hashed.bytes,
                hashed_as_written,
            },
        );
    }
    let now = time::OffsetDateTime::now_utc();
    let certificate = Certificate {
        software: format!("axvs {}", env!("CARGO_PKG_VERSION")),
        sealed_utc: now
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        files: sizes,
        cameras: cameras.to_vec(),
    };
    let date = now
        .format(time::macros::format_description!("[year]-[month]-[day]"))
        .unwrap_or_default();
    let session = bag
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut info = format!(
        "Bag-Software-Agent: axvs {}\nBagging-Date: {date}\n\
         External-Identifier: {session}\nPayload-Oxum: {bytes}.{}\n",
        env!("CARGO_PKG_VERSION"),
        files.len()
    );
    for camera in cameras {
        info.push_str(&format!("Axvs-Camera: {}\n", account_line(camera)));
    }
    let json = serde_json::to_string_pretty(&certificate).map_err(|e| CertificateError::Io {
        path: bag.join(CERTIFICATE_FILE),
        source: std::io::Error::other(e),
    })?;
    let declaration = format!("BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n");
    let mut tag_manifest = String::new();
    for (name, text) in [
        (BAGIT_FILE, &declaration),
        (BAG_INFO_FILE, &info),
        (MANIFEST_FILE, &manifest),
        (CERTIFICATE_FILE, &json),
    ] {
        tag_manifest.push_str(&format!("{}  {name}\n", hash::sha256_hex(text.as_bytes())));
    }
    // BagIt's declaration last: a folder is sealed only once everything it vouches for is there, and a seal
    // cut short (a crash, a full disk) leaves a folder that is not a bag yet, which `axvs recover` seals.
    for (name, text) in [
        (BAG_INFO_FILE, &info),
        (MANIFEST_FILE, &manifest),
        (CERTIFICATE_FILE, &json),
        (TAG_MANIFEST_FILE, &tag_manifest),
    ] {
        write_whole(&bag.join(name), text.as_bytes())?;
    }
    sync_dir(bag)?;
    write_whole(&bag.join(BAGIT_FILE), declaration.as_bytes())?;
    sync_dir(bag)?;
    Ok(Sealed {
        bag: bag.to_path_buf(),
        files: files.len(),
        bytes,
        hashed_as_written: as_written,
    })
}

/// Each camera's accounting from a finished session's report, with the files `bag` holds (its videos,
/// its archive, when they are in this bag's `data/`).
pub fn accounts(report: &crate::session::SessionReport, bag: &Path) -> Vec<CameraAccount> {
    let in_bag = |path: &Path| bag_path(bag, path);
    report
        .cameras
        .iter()
        .map(|camera| {
            let status = &camera.status;
            let files: Vec<PathBuf> = match (&camera.video, camera.segments.as_slice()) {
                (_, [_, ..]) => camera.segments.iter().map(|s| s.path.clone()).collect(),
                // One file, or the files of a video whose encoder could not finish (its report names the
                // first): every segment on disk.
                (Some(video), []) => axvs_encode::segment_files(video),
                (None, []) => Vec::new(),
            };
            let videos: Vec<String> = files.iter().filter_map(|f| in_bag(f)).collect();
            let archive = camera.archive.as_deref().and_then(in_bag);
            let logged_frames = camera
                .archive
                .as_deref()
                .filter(|_| archive.is_some())
                .and_then(|path| {
                    let entries = axvs_log::npz::read_archive(path).ok()?;
                    Some(entries.iter().filter(|e| e.is_frame()).count() as u64)
                });
            let dropped = [
                ("saving_off", status.dropped.saving_off),
                ("queue_full", status.dropped.queue_full),
                ("encoder_error", status.dropped.encoder_error),
                ("log_error", status.dropped.log_error),
                ("unlogged", status.unlogged),
            ];
            CameraAccount {
                id: status.id,
                name: status.name.clone(),
                acquired: Some(status.acquired),
                saved: status.saved,
                dropped: Some(dropped.into_iter().map(|(k, v)| (k.to_string(), v)).collect()),
                video_frames: (!videos.is_empty()).then_some(camera.video_frames).flatten(),
                videos,
                archive,
                logged_frames,
            }
        })
        .collect()
}

/// The digests a finished session's encoders computed as they wrote its videos, by file.
pub fn written_digests(report: &crate::session::SessionReport) -> BTreeMap<PathBuf, Hashed> {
    let mut digests = BTreeMap::new();
    for camera in &report.cameras {
        let one = camera
            .video
            .iter()
            .filter(|_| camera.segments.is_empty())
            .map(|path| (path, camera.video_sha256.as_ref(), camera.video_bytes));
        let segments = camera
            .segments
            .iter()
            .map(|s| (&s.path, s.sha256.as_ref(), Some(s.bytes)));
        for (path, sha256, bytes) in one.chain(segments) {
            if let (Some(sha256), Some(bytes)) = (sha256, bytes) {
                digests.insert(
                    path.clone(),
                    Hashed {
                        sha256: sha256.clone(),
                        bytes,
                    },
                );
            }
        }
    }
    digests
}

/// One camera's accounting in one line: `camera 1 'front': acquired 300 = saved 290 + dropped 10; video
/// frames 290, logged frames 290`.
pub fn account_line(camera: &CameraAccount) -> String {
    let mut line = format!("camera {} '{}': ", camera.id, camera.name);
    match (camera.acquired, camera.dropped_total()) {
        (Some(acquired), Some(dropped)) => line.push_str(&format!(
            "acquired {acquired} = saved {} + dropped {dropped}",
            camera.saved
        )),
        _ => line.push_str(&format!("saved {} (recovered: acquired unknown)", camera.saved)),
    }
    let known = |n: Option<u64>| n.map_or_else(|| "not in this bag".to_string(), |n| n.to_string());
    line.push_str(&format!(
        "; video frames {}, logged frames {}",
        known(camera.video_frames),
        known(camera.logged_frames)
    ));
    line
}

/// `path` as the bag's manifests name it: relative to `bag`, `/` between its components; `None` outside it.
pub fn bag_path(bag: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(bag).ok()?;
    let parts: Vec<_> = relative.components().map(|c| c.as_os_str().to_string_lossy()).collect();
    Some(parts.join("/"))
}

/// The sealed session a given folder names: itself, or the bag whose `data/` it is (when it is not a bag
/// itself and that one is).
pub fn bag_for(given: &Path) -> &Path {
    match bag_of(given) {
        Some(bag) if !given.join(BAGIT_FILE).is_file() && bag.join(BAGIT_FILE).is_file() => bag,
        _ => given,
    }
}

/// Every file under `bag`'s `data/`, as paths relative to the bag with `/` between components, sorted.
fn payload_files(bag: &Path) -> Result<Vec<String>, CertificateError> {
    let payload = bag.join(PAYLOAD_DIR);
    if !payload.is_dir() {
        return Err(CertificateError::NotSealed {
            path: bag.to_path_buf(),
            reason: format!("no {PAYLOAD_DIR}/ folder"),
        });
    }
    let mut files = Vec::new();
    let mut pending = vec![payload];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(CertificateError::io(&dir))? {
            let entry = entry.map_err(CertificateError::io(&dir))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(CertificateError::io(&path))?;
            if kind.is_dir() {
                pending.push(path);
            } else if let Some(relative) = bag_path(bag, &path) {
                files.push(relative);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A path as BagIt's manifests write it: `%`, CR and LF percent-encoded.
fn encode_path(path: &str) -> String {
    path.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// A manifest's path read back (BagIt's percent-encoding of `%`, CR and LF undone).
pub fn decode_path(path: &str) -> String {
    path.replace("%0D", "\r")
        .replace("%0d", "\r")
        .replace("%0A", "\n")
        .replace("%0a", "\n")
        .replace("%25", "%")
}

/// Writes `path` whole: a new file beside it, synced, renamed over it.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), CertificateError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = path.with_file_name(format!(".{name}.new"));
    let written = std::fs::File::create(&temporary)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .map_err(CertificateError::io(&temporary))
        .and_then(|()| std::fs::rename(&temporary, path).map_err(CertificateError::io(path)));
    if written.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    written
}

fn sync_dir(dir: &Path) -> Result<(), CertificateError> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(CertificateError::io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_with_percent_and_line_breaks_round_trip_through_a_manifest() {
        for path in ["data/a b.mp4", "data/100%.txt", "data/two\nlines\r.txt", "data/%0A"] {
            assert_eq!(decode_path(&encode_path(path)), path, "{path:?}");
            assert!(!encode_path(path).contains(['\n', '\r']), "{path:?}");
        }
    }
}
