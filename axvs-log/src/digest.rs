//! SHA-256 of files computed from their bytes as they are written, so that sealing a session need not
//! read them again (see axvs-session's certificate).

use std::path::PathBuf;

use sha2::{Digest, Sha256};

/// A file's SHA-256, computed as it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenDigest {
    /// The file.
    pub path: PathBuf,
    /// Its SHA-256, in lowercase hexadecimal.
    pub sha256: String,
    /// Its size: the bytes hashed.
    pub bytes: u64,
}

/// The running SHA-256 of the bytes that reached a file, in order; lost once a write's outcome is unknown.
#[derive(Debug, Clone, Default)]
pub struct Tally(Option<(Sha256, u64)>);

impl Tally {
    /// A tally of an empty file.
    pub fn new() -> Self {
        Tally(Some((Sha256::new(), 0)))
    }

    /// Adds bytes the file now holds after those before.
    pub fn add(&mut self, bytes: &[u8]) {
        if let Some((hasher, n)) = &mut self.0 {
            hasher.update(bytes);
            *n += bytes.len() as u64;
        }
    }

    /// Forgets the digest: the file's bytes are no longer known.
    pub fn lose(&mut self) {
        self.0 = None;
    }

    /// The digest of `path`, when every byte of it was tallied.
    pub fn finish(&self, path: PathBuf) -> Option<WrittenDigest> {
        let (hasher, bytes) = self.0.clone()?;
        Some(WrittenDigest {
            path,
            sha256: hex(&hasher.finalize()),
            bytes,
        })
    }
}

/// Bytes in lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_is_the_sha256_of_its_bytes_in_order_until_lost() {
        let mut tally = Tally::new();
        tally.add(b"a");
        tally.add(b"bc");
        let digest = tally.finish("f".into()).expect("whole");
        // FIPS 180-2's test vector "abc".
        assert_eq!(
            digest.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(digest.bytes, 3);
        tally.lose();
        tally.add(b"d");
        assert_eq!(tally.finish("f".into()), None);
    }
}
