//! Reading input files within bounds, and writing small files so that a crash never leaves half of one.

use std::io::Read;
use std::path::Path;

/// The most a rig file, a manifest or a GenICam configuration may hold: far above any real one, and a
/// bound on what a wrong path (a device, a video) makes axvs read.
pub const MAX_TEXT_FILE_BYTES: u64 = 16 << 20;

/// Reads a regular file of at most `max_bytes`: a device (`/dev/zero`), a pipe or a directory is refused
/// at once instead of read without end, and so is a larger file.
///
/// ```
/// let err = axvs_core::read_regular_file("/dev/zero".as_ref(), 1024).unwrap_err();
/// assert_eq!(err.to_string(), "not a regular file");
/// ```
pub fn read_regular_file(path: &Path, max_bytes: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    if meta.len() > max_bytes {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("{} bytes, more than the {max_bytes} such a file may hold", meta.len()),
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // A file growing while it is read still stops at the bound.
    file.take(max_bytes).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// [`read_regular_file`] with at most [`MAX_TEXT_FILE_BYTES`], as UTF-8 text.
pub fn read_text_file(path: &Path) -> std::io::Result<String> {
    String::from_utf8(read_regular_file(path, MAX_TEXT_FILE_BYTES)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("not UTF-8 text: {e}")))
}

/// Writes a YAML document (`---` … `...`, as the original's files are) to `path`, replacing it atomically:
/// the text goes to `<path>.partial` first, then is renamed over `path`.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("a.yaml");
/// axvs_core::write_yaml_document(&path, "key: 1\n").unwrap();
/// assert_eq!(std::fs::read_to_string(&path).unwrap(), "---\nkey: 1\n...\n");
/// ```
pub fn write_yaml_document(path: &Path, body: &str) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".partial");
    let mut file = std::fs::File::create(&tmp)?;
    std::io::Write::write_all(&mut file, format!("---\n{body}...\n").as_bytes())?;
    // On the disk before it takes the name: a crash leaves the old file or the new one, whole.
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    sync_folder_of(path);
    Ok(())
}

/// Syncs the folder holding `path`, so that the name a file just took survives a power cut too. Best
/// effort: a file system that cannot sync a folder (some FAT drivers) keeps the file, only not the promise.
pub fn sync_folder_of(path: &Path) {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_document_replaces_the_file_whole() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("c.yaml");
        std::fs::write(&path, "old text that is longer than the new one").expect("write");
        super::write_yaml_document(&path, "a: 1\n").expect("write document");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "---\na: 1\n...\n");
        assert!(!dir.path().join("c.yaml.partial").exists(), "no temporary file left");
    }

    #[test]
    fn a_file_of_exactly_the_bound_is_read_and_one_byte_more_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        std::fs::write(&path, [7u8; 10]).expect("write");
        assert_eq!(super::read_regular_file(&path, 10).expect("at the bound"), [7u8; 10]);
        let err = super::read_regular_file(&path, 9).expect_err("over the bound");
        assert_eq!(err.to_string(), "10 bytes, more than the 9 such a file may hold");
        assert_eq!(super::read_regular_file(&path, 11).expect("under the bound").len(), 10);
    }

    #[test]
    fn text_files_up_to_16_mib_are_read_as_utf8() {
        assert_eq!(super::MAX_TEXT_FILE_BYTES, 16 * 1024 * 1024);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("rig.toml");
        std::fs::write(&path, "fps = 30\n").expect("write");
        assert_eq!(super::read_text_file(&path).expect("text"), "fps = 30\n");
        std::fs::write(&path, [0xff, 0xfe]).expect("write");
        let err = super::read_text_file(&path).expect_err("not UTF-8");
        assert!(err.to_string().starts_with("not UTF-8 text"), "{err}");
    }
}
