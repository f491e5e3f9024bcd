//! `axvs verify`: a sealed session checked against its certificate, file by file and camera by camera.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::{
    decode_path, hash_file, payload_files, CameraAccount, Certificate, CertificateError, BAGIT_FILE, CERTIFICATE_FILE,
    MANIFEST_FILE, TAG_MANIFEST_FILE,
};

/// One way a sealed session differs from its certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finding {
    /// A file the manifests name is gone.
    Missing {
        /// Its path in the bag.
        path: String,
    },
    /// A file is shorter than when it was sealed.
    Truncated {
        /// Its path in the bag.
        path: String,
        /// Bytes when sealed.
        sealed: u64,
        /// Bytes now.
        now: u64,
    },
    /// A file's bytes changed.
    Altered {
        /// Its path in the bag.
        path: String,
    },
    /// A payload file no manifest names.
    Extra {
        /// Its path in the bag.
        path: String,
    },
    /// A tag file cannot be read as what it should be.
    Unreadable {
        /// Its path in the bag.
        path: String,
        /// Why.
        reason: String,
    },
    /// A camera's counts no longer add up.
    Accounting {
        /// The camera's id.
        id: u8,
        /// Its name.
        name: String,
        /// Which identity broke, with the figures.
        what: String,
    },
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Finding::Missing { path } => write!(f, "missing: {path}"),
            Finding::Truncated { path, sealed, now } => {
                write!(f, "truncated: {path} ({now} of its {sealed} bytes)")
            }
            Finding::Altered { path } => write!(f, "altered: {path} (its SHA-256 differs from the manifest's)"),
            Finding::Extra { path } => write!(f, "extra: {path} (not in the manifest)"),
            Finding::Unreadable { path, reason } => write!(f, "unreadable: {path} ({reason})"),
            Finding::Accounting { id, name, what } => write!(f, "accounting: camera {id} '{name}': {what}"),
        }
    }
}

/// What checking one bag found.
#[derive(Debug, Clone)]
pub struct Verification {
    /// The bag.
    pub bag: PathBuf,
    /// Files hashed (payload and tag files).
    pub files: usize,
    /// Bytes hashed.
    pub bytes: u64,
    /// Time spent hashing.
    pub hashing: Duration,
    /// Every difference, in the order found; empty when the session is whole.
    pub findings: Vec<Finding>,
}

/// Checks the sealed session `bag`: every tag and payload file against the manifests (missing, truncated,
/// altered, extra), and each camera's accounting against its files (acquired = saved + dropped; frames in
/// the video = frame entries in the archive = saved).
pub fn verify(bag: &Path) -> Result<Verification, CertificateError> {
    if !bag.join(BAGIT_FILE).is_file() {
        return Err(CertificateError::NotSealed {
            path: bag.to_path_buf(),
            reason: format!(
                "no {BAGIT_FILE}: a session is sealed when its recording ends, or by `axvs recover` after a crash"
            ),
        });
    }
    let mut check = Check {
        bag,
        files: 0,
        bytes: 0,
        hashing: Duration::ZERO,
        findings: Vec::new(),
    };
    check.manifest(TAG_MANIFEST_FILE, &BTreeMap::new())?;
    let certificate = check.certificate();
    let sizes: BTreeMap<String, u64> = certificate
        .iter()
        .flat_map(|c| c.files.iter().map(|(path, entry)| (path.clone(), entry.bytes)))
        .collect();
    let listed = check.manifest(MANIFEST_FILE, &sizes)?;
    match payload_files(bag) {
        Ok(files) => {
            for path in files {
                if !listed.contains(&path) {
                    check.findings.push(Finding::Extra { path });
                }
            }
        }
        Err(CertificateError::NotSealed { .. }) => check.findings.push(Finding::Missing {
            path: format!("{}/", super::PAYLOAD_DIR),
        }),
        Err(e) => check.findings.push(Finding::Unreadable {
            path: format!("{}/", super::PAYLOAD_DIR),
            reason: e.to_string(),
        }),
    }
    for camera in certificate.iter().flat_map(|c| &c.cameras) {
        check.accounting(camera);
    }
    Ok(Verification {
        bag: bag.to_path_buf(),
        files: check.files,
        bytes: check.bytes,
        hashing: check.hashing,
        findings: check.findings,
    })
}

struct Check<'a> {
    bag: &'a Path,
    files: usize,
    bytes: u64,
    hashing: Duration,
    findings: Vec<Finding>,
}

impl Check<'_> {
    /// Checks every file `manifest` names (`sizes`: their sealed sizes, to tell truncated from altered);
    /// returns the paths it names.
    fn manifest(
        &mut self,
        manifest: &str,
        sizes: &BTreeMap<String, u64>,
    ) -> Result<BTreeSet<String>, CertificateError> {
        let path = self.bag.join(manifest);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                self.findings.push(Finding::Missing { path: manifest.into() });
                return Ok(BTreeSet::new());
            }
            Err(source) => return Err(CertificateError::Io { path, source }),
        };
        let mut listed = BTreeSet::new();
        for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let Some((sha256, file)) = line.split_once(char::is_whitespace) else {
                self.findings.push(Finding::Unreadable {
                    path: manifest.into(),
                    reason: format!("line {}: not `checksum path`", number + 1),
                });
                continue;
            };
            let file = decode_path(file.trim_start());
            if let Some(wrong) = misplaced(&file, manifest == MANIFEST_FILE) {
                self.findings.push(Finding::Unreadable {
                    path: manifest.into(),
                    reason: format!("line {}: {file}: {wrong}", number + 1),
                });
                continue;
            }
            if !listed.insert(file.clone()) {
                self.findings.push(Finding::Unreadable {
                    path: manifest.into(),
                    reason: format!("line {}: {file} is listed twice", number + 1),
                });
                continue;
            }
            let on_disk = self.bag.join(&file);
            if !on_disk.is_file() {
                self.findings.push(Finding::Missing { path: file });
                continue;
            }
            let started = Instant::now();
            let hashed = match hash_file(&on_disk) {
                Ok(hashed) => hashed,
                Err(e) => {
                    self.findings.push(Finding::Unreadable {
                        path: file,
                        reason: e.to_string(),
                    });
                    continue;
                }
            };
            self.hashing += started.elapsed();
            self.files += 1;
            self.bytes += hashed.bytes;
            match sizes.get(&file) {
                Some(&sealed) if hashed.bytes < sealed => self.findings.push(Finding::Truncated {
                    path: file,
                    sealed,
                    now: hashed.bytes,
                }),
                _ if !hashed.sha256.eq_ignore_ascii_case(sha256) => self.findings.push(Finding::Altered { path: file }),
                _ => {}
            }
        }
        Ok(listed)
    }

    /// The certificate, or a finding saying why it cannot be read.
    fn certificate(&mut self) -> Option<Certificate> {
        let path = self.bag.join(CERTIFICATE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            // The tag manifest's check has said so.
            Err(_) => return None,
        };
        serde_json::from_str(&text)
            .map_err(|e| {
                self.findings.push(Finding::Unreadable {
                    path: CERTIFICATE_FILE.into(),
                    reason: e.to_string(),
                })
            })
            .ok()
    }

    /// Checks one camera's identities against its files in the bag.
    fn accounting(&mut self, camera: &CameraAccount) {
        let mut broken = |what: String| {
            self.findings.push(Finding::Accounting {
                id: camera.id,
                name: camera.name.clone(),
                what,
            })
        };
        if let (Some(acquired), Some(dropped)) = (camera.acquired, camera.dropped_total())
            && acquired != camera.saved + dropped
        {
            broken(format!(
                "acquired {acquired} != saved {} + dropped {dropped}",
                camera.saved
            ));
        }
        let videos: Vec<PathBuf> = camera.videos.iter().map(|v| self.bag.join(v)).collect();
        if !videos.is_empty() && videos.iter().all(|v| v.is_file()) {
            match video_frames(&videos) {
                Ok(frames) if frames != camera.saved => {
                    broken(format!("its video holds {frames} frames, {} were saved", camera.saved))
                }
                Ok(_) => {}
                Err(e) => broken(format!("its video cannot be read: {e}")),
            }
        }
        if let Some(archive) = &camera.archive {
            let path = self.bag.join(archive);
            if path.is_file() {
                match axvs_log::npz::read_archive(&path) {
                    Ok(entries) => {
                        let frames = entries.iter().filter(|e| e.is_frame()).count() as u64;
                        if frames != camera.saved {
                            broken(format!("its archive logs {frames} frames, {} were saved", camera.saved));
                        }
                    }
                    Err(e) => broken(format!("its archive cannot be read: {e}")),
                }
            }
        }
    }
}

/// Why a manifest's path is not one it may list, if it is not: a payload manifest lists files in `data/`, a
/// tag manifest files outside it, and neither names a path outside the bag (RFC 8493, 2.1.3 and 2.2.1).
pub fn misplaced(path: &str, payload: bool) -> Option<&'static str> {
    let parts: Vec<&str> = path.split('/').collect();
    if path.starts_with('/') || parts.iter().any(|p| *p == ".." || *p == "." || p.is_empty()) {
        return Some("not a path inside the bag");
    }
    match (payload, parts.first() == Some(&super::PAYLOAD_DIR) && parts.len() > 1) {
        (true, false) => Some("a payload manifest lists files in data/ only"),
        (false, true) => Some("a tag manifest lists no file in data/"),
        _ => None,
    }
}

/// Frames in a camera's video files, together.
fn video_frames(files: &[PathBuf]) -> Result<u64, axvs_encode::EncodeError> {
    files.iter().try_fold(0u64, |sum, file| {
        Ok(sum + axvs_encode::video_frame_times(file)?.times_us.len() as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::super::{seal, PAYLOAD_DIR};
    use super::*;

    fn sealed_bag() -> tempfile::TempDir {
        let bag = tempfile::tempdir().expect("bag");
        std::fs::create_dir_all(bag.path().join(PAYLOAD_DIR).join("sub")).expect("data");
        std::fs::write(bag.path().join("data/a.bin"), vec![7u8; 3000]).expect("a");
        std::fs::write(bag.path().join("data/sub/b.txt"), "b").expect("b");
        let camera = CameraAccount {
            id: 1,
            name: "a".into(),
            acquired: Some(10),
            saved: 8,
            dropped: Some([("saving_off".to_string(), 2)].into()),
            ..CameraAccount::default()
        };
        seal(bag.path(), &[camera], &Default::default()).expect("seal");
        bag
    }

    fn findings(bag: &Path) -> Vec<String> {
        verify(bag)
            .expect("verify")
            .findings
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_sealed_bag_verifies_and_every_change_is_found() {
        let bag = sealed_bag();
        let verified = verify(bag.path()).expect("verify");
        assert!(verified.findings.is_empty(), "{:?}", verified.findings);
        assert_eq!(verified.files, 2 + 4, "two payload files and four tag files");

        std::fs::write(bag.path().join("data/sub/b.txt"), "c").expect("alter");
        std::fs::write(bag.path().join("data/a.bin"), vec![7u8; 1000]).expect("truncate");
        std::fs::write(bag.path().join("data/new.txt"), "").expect("add");
        assert_eq!(
            findings(bag.path()),
            [
                "truncated: data/a.bin (1000 of its 3000 bytes)",
                "altered: data/sub/b.txt (its SHA-256 differs from the manifest's)",
                "extra: data/new.txt (not in the manifest)",
            ]
        );
        std::fs::remove_file(bag.path().join("data/a.bin")).expect("delete");
        assert!(findings(bag.path()).contains(&"missing: data/a.bin".to_string()));
    }

    #[test]
    fn tag_files_are_checked_too_and_an_unsealed_folder_is_refused() {
        let bag = sealed_bag();
        let info = bag.path().join(super::super::BAG_INFO_FILE);
        let text = std::fs::read_to_string(&info).expect("info");
        assert!(text.contains("Payload-Oxum: 3001.2\n"), "{text}");
        assert!(
            text.contains("Axvs-Camera: camera 1 'a': acquired 10 = saved 8 + dropped 2"),
            "{text}"
        );
        std::fs::write(&info, text.replace("3001", "3002")).expect("edit");
        assert_eq!(
            findings(bag.path()),
            ["altered: bag-info.txt (its SHA-256 differs from the manifest's)"]
        );

        std::fs::remove_file(bag.path().join(BAGIT_FILE)).expect("unseal");
        let e = verify(bag.path()).expect_err("unsealed");
        assert!(e.to_string().contains("not a sealed session"), "{e}");
    }

    #[test]
    fn manifest_lines_outside_the_bag_or_listed_twice_are_findings_not_reads() {
        let bag = sealed_bag();
        let manifest = bag.path().join(MANIFEST_FILE);
        let mut text = std::fs::read_to_string(&manifest).expect("manifest");
        let first = text.lines().next().expect("a line").to_string();
        text.push_str(&format!("{first}\n"));
        text.push_str("00  data/../../etc/passwd\n00  bagit.txt\n");
        std::fs::write(&manifest, text).expect("edit");
        let found = findings(bag.path());
        assert!(found.iter().any(|f| f.contains("is listed twice")), "{found:?}");
        assert!(
            found
                .iter()
                .any(|f| f.contains("etc/passwd: not a path inside the bag")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.contains("bagit.txt: a payload manifest lists files in data/ only")),
            "{found:?}"
        );
        std::fs::remove_dir_all(bag.path().join("data")).expect("no payload");
        assert!(findings(bag.path()).contains(&"missing: data/".to_string()));
    }

    #[test]
    fn a_forged_certificate_whose_counts_do_not_add_up_is_found() {
        let bag = sealed_bag();
        let path = bag.path().join(CERTIFICATE_FILE);
        let text = std::fs::read_to_string(&path).expect("certificate");
        std::fs::write(&path, text.replace("\"acquired\": 10", "\"acquired\": 11")).expect("forge");
        let found = findings(bag.path());
        assert!(found.contains(&format!(
            "altered: {CERTIFICATE_FILE} (its SHA-256 differs from the manifest's)"
        )));
        assert!(
            found.contains(&"accounting: camera 1 'a': acquired 11 != saved 8 + dropped 2".to_string()),
            "{found:?}"
        );
        std::fs::write(&path, "{").expect("garble");
        assert!(findings(bag.path())
            .iter()
            .any(|f| f.starts_with("unreadable: axvs-certificate.json")));
    }
}
