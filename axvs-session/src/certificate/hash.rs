//! SHA-256 of files, read once in large blocks.

use std::io::Read;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::CertificateError;

/// Bytes read at a time: large enough that reading runs at the disk's speed.
const BLOCK: usize = 1 << 20;

/// A file's SHA-256 and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hashed {
    /// The SHA-256, in lowercase hexadecimal.
    pub sha256: String,
    /// Bytes read.
    pub bytes: u64,
}

/// Hashes the file at `path`.
pub fn hash_file(path: &Path) -> Result<Hashed, CertificateError> {
    let io = |source| CertificateError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; BLOCK];
    let mut bytes = 0u64;
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => {
                hasher.update(&buffer[..n]);
                bytes += n as u64;
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(io(e)),
        }
    }
    Ok(Hashed {
        sha256: hex(&hasher.finalize()),
        bytes,
    })
}

/// The SHA-256 of `bytes`, in lowercase hexadecimal.
pub(super) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

use axvs_log::digest::hex;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_sha256_of_the_whole_file() {
        // FIPS 180-2's test vector "abc", and a file longer than one block.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("f");
        let data: Vec<u8> = (0..BLOCK * 2 + 7).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).expect("write");
        let hashed = hash_file(&path).expect("hash");
        assert_eq!(hashed.bytes, data.len() as u64);
        assert_eq!(hashed.sha256, sha256_hex(&data));
        assert!(matches!(
            hash_file(&dir.path().join("none")),
            Err(CertificateError::Io { .. })
        ));
    }
}
