//! `axvs collect`: a rig-across-PCs session's files copied from every host into one folder, over the
//! control connection (`read_file_part`), each file checked against its host's manifest (SHA-256); a
//! second run copies only what is missing or unfinished (a file is written as `<name>.partial` and renamed
//! once its digest agrees), so an interrupted collection resumes.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use serde_json::{json, Value};

use axvs_session::backends::Backends;
use axvs_session::rig::Rig;

use axvs_session::certificate::{
    decode_path, misplaced, BAGIT_FILE, BAG_INFO_FILE, CERTIFICATE_FILE, MANIFEST_FILE, TAG_MANIFEST_FILE,
};

use super::remote::Remote;
use super::CoordinatorError;
use crate::tools::{FilePart, MAX_PART};

/// A bag's tag files, in the order they are copied (`bagit.txt`, written last by the seal, is copied last).
const TAG_FILES: [&str; 5] = [
    MANIFEST_FILE,
    BAG_INFO_FILE,
    CERTIFICATE_FILE,
    TAG_MANIFEST_FILE,
    BAGIT_FILE,
];

/// What a collection did.
#[derive(Debug, Default)]
pub struct Collected {
    /// The folder the hosts' sessions are in (one folder per host).
    pub dest: PathBuf,
    /// Files copied (or finished) by this run.
    pub copied: usize,
    /// Files already there and whole.
    pub kept: usize,
    /// Bytes copied by this run.
    pub bytes: u64,
}

/// Copies every host's session of the rig session indexed at `index` into `dest` (default: beside the index,
/// `<session>-collected/`), `<host>/<session folder>/...`; the rig the index names gives each host's
/// token.
pub fn collect(
    index: &Path,
    dest: Option<&Path>,
    progress: &mut dyn FnMut(String),
) -> Result<Collected, CoordinatorError> {
    let io = CoordinatorError::at;
    let text = std::fs::read_to_string(index).map_err(io(index))?;
    let index_json: Value = serde_json::from_str(&text).map_err(|e| CoordinatorError::Io {
        path: index.to_path_buf(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
    })?;
    let session = index_json["session"].as_str().unwrap_or("session").to_string();
    let rig_path = PathBuf::from(index_json["rig"].as_str().unwrap_or_default());
    let rig = Rig::load(&rig_path, &mut Backends::builtin())?;
    let dest = dest.map(Path::to_path_buf).unwrap_or_else(|| {
        index
            .parent()
            .unwrap_or(Path::new("."))
            .join(format!("{session}-collected"))
    });
    std::fs::create_dir_all(&dest).map_err(io(&dest))?;
    let runtime = super::runtime()?;
    let mut done = Collected {
        dest: dest.clone(),
        ..Collected::default()
    };
    runtime.block_on(async {
        for host in index_json["hosts"].as_array().into_iter().flatten() {
            let name = host["name"].as_str().unwrap_or_default();
            let Some(spec) = rig.hosts.iter().find(|h| h.name == name) else {
                return Err(CoordinatorError::Tool {
                    host: name.into(),
                    tool: "collect",
                    reason: format!("not in the rig {} any more", rig_path.display()),
                });
            };
            let bags: Vec<PathBuf> = host["report"]["bags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|b| b.as_str().map(PathBuf::from))
                .collect();
            if bags.is_empty() {
                progress(format!(
                    "host '{name}': no sealed session to collect (see the index's errors)"
                ));
                continue;
            }
            let remote = Remote::connect(spec.clone()).await?;
            for bag in bags {
                let folder = dest.join(name).join(bag.file_name().unwrap_or_default());
                collect_bag(&remote, &bag, &folder, &mut done, progress).await?;
            }
            remote.close().await;
        }
        Ok(())
    })?;
    let index_copy = dest.join(index.file_name().unwrap_or_default());
    if !index_copy.exists() {
        std::fs::copy(index, &index_copy).map_err(io(&index_copy))?;
    }
    Ok(done)
}

/// Copies one sealed session folder (`bag` on the host) into `folder`.
async fn collect_bag(
    remote: &Remote,
    bag: &Path,
    folder: &Path,
    done: &mut Collected,
    progress: &mut dyn FnMut(String),
) -> Result<(), CoordinatorError> {
    let mut files = manifest_entries(&read_whole(remote, &bag.join(MANIFEST_FILE)).await?);
    // Checked as its seal's rule says before anything is written (`axvs verify` applies the same).
    if let Some((path, why)) = files.iter().find_map(|(_, p)| misplaced(p, true).map(|why| (p, why))) {
        return Err(CoordinatorError::Tool {
            host: remote.spec.name.clone(),
            tool: "read_file_part",
            reason: format!("{}: the manifest names {path}: {why}", bag.display()),
        });
    }
    let tag_digests = manifest_entries(&read_whole(remote, &bag.join(TAG_MANIFEST_FILE)).await?);
    for tag in TAG_FILES {
        let digest = tag_digests.iter().find(|(_, p)| p == tag).map(|(d, _)| d.clone());
        // The tag manifest is not in itself: it is checked as read above, whole.
        files.push((digest.unwrap_or_default(), tag.to_string()));
    }
    for (digest, relative) in files {
        let target = folder.join(&relative);
        copy_file(remote, &bag.join(&relative), &target, &digest, done).await?;
    }
    progress(format!(
        "host '{}': {} collected into {}",
        remote.spec.name,
        bag.display(),
        folder.display()
    ));
    Ok(())
}

/// A file of a host's session as its seal lists it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SessionFile {
    /// Its path in the session folder (`data/...`).
    pub path: String,
    /// Its size, bytes.
    pub bytes: u64,
    /// Its SHA-256.
    pub sha256: String,
}

/// The files of a host's sealed session folder `bag`, from its manifest and certificate.
pub(super) async fn session_files(remote: &Remote, bag: &Path) -> Result<Vec<SessionFile>, CoordinatorError> {
    let manifest = read_whole(remote, &bag.join(MANIFEST_FILE)).await?;
    let certificate = read_whole(remote, &bag.join(CERTIFICATE_FILE)).await?;
    let certificate: Value = serde_json::from_slice(&certificate).unwrap_or(Value::Null);
    Ok(manifest_entries(&manifest)
        .into_iter()
        .map(|(sha256, path)| SessionFile {
            bytes: certificate["files"][&path]["bytes"].as_u64().unwrap_or(0),
            path,
            sha256,
        })
        .collect())
}

/// A manifest's lines as (SHA-256, path), the path's BagIt percent-encoding undone.
fn manifest_entries(text: &[u8]) -> Vec<(String, String)> {
    String::from_utf8_lossy(text)
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(d, p)| (d.to_string(), decode_path(p))))
        .collect()
}

/// A small file of the host, whole.
pub(super) async fn read_whole(remote: &Remote, path: &Path) -> Result<Vec<u8>, CoordinatorError> {
    let mut data = Vec::new();
    loop {
        let part = read_part(remote, path, data.len() as u64).await?;
        let bytes = decode(remote, &part)?;
        data.extend_from_slice(&bytes);
        if bytes.is_empty() || data.len() as u64 >= part.size {
            return Ok(data);
        }
    }
}

/// The size of a file of the host (a one-byte read).
async fn size_of(remote: &Remote, path: &Path) -> Result<u64, CoordinatorError> {
    let args = json!({"path": path.display().to_string(), "offset": 0, "length": 1});
    Ok(remote.call_long::<FilePart>("read_file_part", args).await?.size)
}

/// Parts of one file asked for at once.
const PARTS_IN_FLIGHT: usize = 4;

/// Tries per part before the collection stops (a slow or briefly cut link).
const PART_TRIES: usize = 3;

async fn read_part(remote: &Remote, path: &Path, offset: u64) -> Result<FilePart, CoordinatorError> {
    let args = json!({"path": path.display().to_string(), "offset": offset, "length": MAX_PART});
    let mut tries = 0;
    loop {
        match remote.call_long("read_file_part", args.clone()).await {
            Ok(part) => return Ok(part),
            Err(e) if tries + 1 >= PART_TRIES => return Err(e),
            Err(_) => tries += 1,
        }
    }
}

fn decode(remote: &Remote, part: &FilePart) -> Result<Vec<u8>, CoordinatorError> {
    base64::engine::general_purpose::STANDARD
        .decode(&part.data_base64)
        .map_err(|e| CoordinatorError::Tool {
            host: remote.spec.name.clone(),
            tool: "read_file_part",
            reason: format!("its data: {e}"),
        })
}

/// Copies `source` of the host to `target` unless it is there whole: through `<target>.partial` (resumed
/// where an earlier run stopped), renamed once its SHA-256 is `digest` (empty: not checked, the tag
/// manifest, which was checked by the files it lists).
async fn copy_file(
    remote: &Remote,
    source: &Path,
    target: &Path,
    digest: &str,
    done: &mut Collected,
) -> Result<(), CoordinatorError> {
    let io = CoordinatorError::at;
    if target.is_file() && (digest.is_empty() || sha256_of(target)? == digest) {
        done.kept += 1;
        return Ok(());
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let partial = PathBuf::from(format!("{}.partial", target.display()));
    for attempt in 0..2 {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&partial)
            .map_err(io(&partial))?;
        let mut offset = file.metadata().map_err(io(&partial))?.len();
        let size = size_of(remote, source).await?;
        if offset > size {
            // Longer than the host's file: not a part of it. Start again.
            file.set_len(0).map_err(io(&partial))?;
            offset = 0;
        }
        // Several parts in flight (the round trips overlap), written in order.
        while offset < size {
            let starts: Vec<u64> = (0..PARTS_IN_FLIGHT as u64)
                .map(|i| offset + i * MAX_PART)
                .take_while(|&at| at < size)
                .collect();
            let parts = futures_util::future::join_all(starts.iter().map(|&at| read_part(remote, source, at))).await;
            for part in parts {
                let bytes = decode(remote, &part?)?;
                if bytes.is_empty() {
                    // The file shrank under us: what is there is checked below.
                    offset = size;
                    break;
                }
                file.write_all(&bytes).map_err(io(&partial))?;
                offset += bytes.len() as u64;
                done.bytes += bytes.len() as u64;
            }
        }
        file.sync_all().map_err(io(&partial))?;
        if digest.is_empty() || sha256_of(&partial)? == digest {
            std::fs::rename(&partial, target).map_err(io(target))?;
            done.copied += 1;
            return Ok(());
        }
        // Not the manifest's bytes (an unfinished part of another copy): once more from the start.
        std::fs::remove_file(&partial).map_err(io(&partial))?;
        if attempt == 1 {
            break;
        }
    }
    Err(CoordinatorError::Tool {
        host: remote.spec.name.clone(),
        tool: "read_file_part",
        reason: format!("{}: the copy does not match its manifest's SHA-256", source.display()),
    })
}

fn sha256_of(path: &Path) -> Result<String, CoordinatorError> {
    Ok(axvs_session::certificate::hash_file(path)?.sha256)
}
