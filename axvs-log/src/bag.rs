//! Where a session's files are: a session folder is a BagIt bag (RFC 8493) whose payload folder, `data/`,
//! holds them; its certificate (the checksums and counts beside `data/`) is `axvs-session`'s.

use std::path::{Path, PathBuf};

/// The payload folder of a bag: the session's files.
pub const PAYLOAD_DIR: &str = "data";
/// BagIt's declaration, the file that makes a folder a bag.
pub const BAGIT_FILE: &str = "bagit.txt";
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
    }
}
