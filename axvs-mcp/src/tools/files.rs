//! Reading a file of this host in parts: how a coordinator copies a host's session over the control
//! connection (`axvs collect`), each part checked against the session's manifest when whole.

use std::io::{Read, Seek, SeekFrom};

use base64::Engine;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Reply;
use crate::args::tool_error;
use crate::paths::PathPolicy;

/// The largest part one call returns, bytes.
pub const MAX_PART: u64 = 4 << 20;

/// Arguments of `read_file_part`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadFilePartArgs {
    /// The file (under the server's root).
    #[schemars(length(min = 1))]
    pub path: String,
    /// Where to start, bytes from the beginning (default 0).
    pub offset: Option<u64>,
    /// How many bytes at most (default and at most 4 MiB).
    #[schemars(range(min = 1, max = 4_194_304))]
    pub length: Option<u64>,
}

/// What `read_file_part` returns.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct FilePart {
    /// The file's size now, bytes.
    pub size: u64,
    /// Where the part starts.
    pub offset: u64,
    /// The part's bytes, base64 (standard alphabet, padded).
    pub data_base64: String,
}

/// `read_file_part`.
pub fn read_file_part(paths: &PathPolicy, args: ReadFilePartArgs) -> Reply<FilePart> {
    let path = paths.resolve("path", &args.path)?;
    let length = args.length.unwrap_or(MAX_PART);
    if !(1..=MAX_PART).contains(&length) {
        return Err(tool_error!("argument `length`: 1 to {MAX_PART} bytes, not {length}"));
    }
    let io = |e: std::io::Error| tool_error!("{}: {e}", path.display());
    let mut file = std::fs::File::open(&path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(tool_error!("argument `path`: {} is not a file", path.display()));
    }
    let offset = args.offset.unwrap_or(0);
    if offset > meta.len() {
        return Err(tool_error!(
            "argument `offset`: {offset} is past the end of {} ({} bytes)",
            path.display(),
            meta.len()
        ));
    }
    file.seek(SeekFrom::Start(offset)).map_err(io)?;
    let mut data = Vec::with_capacity(length.min(meta.len() - offset) as usize);
    file.take(length).read_to_end(&mut data).map_err(io)?;
    Ok((
        format!("{} bytes of {} from {offset}", data.len(), path.display()),
        FilePart {
            size: meta.len(),
            offset,
            data_base64: base64::engine::general_purpose::STANDARD.encode(&data),
        },
    ))
}
