//! Writing small files so that a crash never leaves half of one.

use std::path::Path;

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
    std::fs::write(&tmp, format!("---\n{body}...\n"))?;
    std::fs::rename(&tmp, path)
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
}
