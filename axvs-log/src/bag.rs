//! Where a session's files are: a session folder is a BagIt bag (RFC 8493) whose payload folder, `data/`,
//! holds them; its certificate (the checksums and counts beside `data/`) is `axvs-session`'s.

use std::path::{Path, PathBuf};

/// The payload folder of a bag: the session's files.
pub const PAYLOAD_DIR: &str = "data";
/// BagIt's declaration, the file that makes a folder a bag.
pub const BAGIT_FILE: &str = "bagit.txt";
/// The bag's metadata (`Label: value` lines).
pub const BAG_INFO_FILE: &str = "bag-info.txt";
/// Every payload file's SHA-256.
pub const MANIFEST_FILE: &str = "manifest-sha256.txt";
/// Every tag file's SHA-256 (the manifests, the metadata and the certificate).
pub const TAG_MANIFEST_FILE: &str = "tagmanifest-sha256.txt";
/// axvs' certificate: each payload file's size, each camera's accounting.
pub const CERTIFICATE_FILE: &str = "axvs-certificate.json";
/// `session.json`, which every session folder's payload holds from its start.
const PROVENANCE_FILE: &str = "session.json";

/// The folder whose files a session wrote, given a session folder (a bag: its `data/`, sealed or still being
/// written) or any other folder (itself: a session recorded before sessions were bags, or shared
/// directories).
///
/// ```
/// let dir = tempfile::tempdir()?;
/// assert_eq!(axvs_log::bag::payload_dir(dir.path()), dir.path());
/// std::fs::create_dir(dir.path().join("data"))?;
/// std::fs::write(dir.path().join("bagit.txt"), "BagIt-Version: 1.0\n")?;
/// assert_eq!(axvs_log::bag::payload_dir(dir.path()), dir.path().join("data"));
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn payload_dir(dir: &Path) -> PathBuf {
    let data = dir.join(PAYLOAD_DIR);
    let is_bag = dir.join(BAGIT_FILE).is_file()
        || data.join(PROVENANCE_FILE).is_file()
        || data.join(crate::manifest::MANIFEST_FILE).is_file();
    if is_bag && data.is_dir() {
        data
    } else {
        dir.to_path_buf()
    }
}

/// The bag a payload folder belongs to: its parent, when it is a bag's `data/`.
pub fn bag_of(payload: &Path) -> Option<&Path> {
    (payload.file_name()? == PAYLOAD_DIR)
        .then(|| payload.parent())
        .flatten()
}

/// The session folder whose `data/` is `payload`: its parent, when the parent holds nothing but `data/`,
/// the bag's tag files and what axvs puts beside a sealed session (processing outputs, NWB exports, hidden
/// temporary files), as a folder a session claimed does. A folder that merely happens to be named `data`
/// inside another is not a session's.
pub fn session_bag_of(payload: &Path) -> Option<&Path> {
    let bag = bag_of(payload)?;
    let tags = [
        BAGIT_FILE,
        BAG_INFO_FILE,
        MANIFEST_FILE,
        TAG_MANIFEST_FILE,
        CERTIFICATE_FILE,
    ];
    let only_ours = std::fs::read_dir(bag).ok()?.all(|entry| {
        entry.is_ok_and(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name == PAYLOAD_DIR
                || name.starts_with('.')
                || tags.contains(&name.as_ref())
                || name == crate::process::job::OUTPUT_DIR
                || name.ends_with(".nwb")
        })
    });
    only_ours.then_some(bag)
}

/// The sealed bag whose payload `dir` is, if any: where what is made from its files goes (processing
/// outputs), since a file added to `data/` would make the bag differ from its manifest.
pub fn sealed_bag_of(dir: &Path) -> Option<&Path> {
    bag_of(dir).filter(|bag| bag.join(BAGIT_FILE).is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_folder_is_read_in_its_payload_and_any_other_folder_as_it_is() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(payload_dir(dir.path()), dir.path());
        std::fs::create_dir(dir.path().join(PAYLOAD_DIR)).expect("data");
        assert_eq!(
            payload_dir(dir.path()),
            dir.path(),
            "a folder that happens to hold data/"
        );
        std::fs::write(dir.path().join("data/camera_manifest.yaml"), "").expect("manifest");
        assert_eq!(
            payload_dir(dir.path()),
            dir.path().join("data"),
            "a session being recorded"
        );
        let data = dir.path().join("data");
        assert_eq!(bag_of(&data), Some(dir.path()));
        assert_eq!(bag_of(dir.path()), None);
        assert_eq!(sealed_bag_of(&data), None, "not sealed yet");
        std::fs::write(dir.path().join(BAGIT_FILE), "").expect("seal");
        assert_eq!(sealed_bag_of(&data), Some(dir.path()));
        assert_eq!(session_bag_of(&data), Some(dir.path()));
        std::fs::write(dir.path().join("notes.txt"), "").expect("another file");
        assert_eq!(
            session_bag_of(&data),
            None,
            "a folder with other files is not a session's"
        );
    }
}
