//! The video file written through an I/O context of our own, so that its SHA-256 is computed from the bytes
//! as the muxer writes them: the session's certificate then needs no second read of the video. A muxer
//! that goes back to rewrite bytes already hashed (Matroska's header, at the end) leaves the file without a
//! digest, and the certificate reads it again.

use std::ffi::{c_int, c_void};
use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use ff::ffi;
use ffmpeg_next as ff;
use sha2::{Digest, Sha256};

use crate::EncodeError;

/// Bytes the I/O context buffers: every packet is flushed to the file as it is muxed anyway (see
/// `flush_packets`).
const BUFFER: usize = 64 * 1024;

/// Where the muxer's bytes go: the file, and the hash of its bytes written in order from the start.
struct Sink {
    file: File,
    position: u64,
    /// Bytes from the start that the hash covers.
    hashed: u64,
    hasher: Sha256,
    /// A write landed elsewhere than at the end of the hashed bytes.
    rewritten: bool,
}

/// The output's I/O context, attached to an FFmpeg output in place of the one it opened.
pub(crate) struct HashedOutput {
    context: *mut ffi::AVIOContext,
    sink: Box<Sink>,
    path: PathBuf,
}

// SAFETY: the context and its sink are used by the encoder that owns them, on one thread at a time.
unsafe impl Send for HashedOutput {}

impl HashedOutput {
    /// Replaces `output`'s I/O context (FFmpeg's, on the file it just created at `path`) with one that hashes
    /// what it writes.
    pub(crate) fn attach(output: &mut ff::format::context::Output, path: &Path) -> Result<HashedOutput, EncodeError> {
        let create = |reason: String| EncodeError::Create {
            path: path.to_path_buf(),
            reason,
        };
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| create(e.to_string()))?;
        let mut sink = Box::new(Sink {
            file,
            position: 0,
            hashed: 0,
            hasher: Sha256::new(),
            rewritten: false,
        });
        // SAFETY: the buffer goes to the context, which FFmpeg may reallocate; both are freed in `detach`.
        // The sink outlives the context (both are owned here, the context freed first).
        unsafe {
            let buffer = ffi::av_malloc(BUFFER) as *mut u8;
            if buffer.is_null() {
                return Err(create("out of memory for the output buffer".into()));
            }
            let context = ffi::avio_alloc_context(
                buffer,
                BUFFER as c_int,
                1,
                (&mut *sink as *mut Sink).cast::<c_void>(),
                None,
                Some(write_packet),
                Some(seek),
            );
            if context.is_null() {
                ffi::av_free(buffer.cast());
                return Err(create("out of memory for the output context".into()));
            }
            let format = output.as_mut_ptr();
            // FFmpeg's own context on the file (nothing written yet) gives way to ours.
            ffi::avio_closep(&mut (*format).pb);
            (*format).pb = context;
            (*format).flags |= ffi::AVFMT_FLAG_CUSTOM_IO;
            Ok(HashedOutput {
                context,
                sink,
                path: path.to_path_buf(),
            })
        }
    }

    /// The file's SHA-256 once the muxer is done, when every byte of it was hashed in order as written.
    pub(crate) fn digest(&mut self) -> Option<String> {
        // SAFETY: the context is alive until `detach`.
        unsafe { ffi::avio_flush(self.context) };
        let sink = &self.sink;
        let length = std::fs::metadata(&self.path).ok()?.len();
        (!sink.rewritten && sink.hashed == length).then(|| {
            sink.hasher
                .clone()
                .finalize()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
    }

    /// Takes the context off `output` and frees it (before `output` is dropped, which would close it as
    /// FFmpeg's own).
    pub(crate) fn detach(&mut self, output: &mut ff::format::context::Output) {
        // SAFETY: `output`'s I/O context is ours; the muxer is done with it.
        unsafe {
            let format = output.as_mut_ptr();
            if (*format).pb == self.context {
                (*format).pb = std::ptr::null_mut();
            }
            if !self.context.is_null() {
                ffi::avio_flush(self.context);
                ffi::av_freep((&mut (*self.context).buffer as *mut *mut u8).cast());
                ffi::avio_context_free(&mut self.context);
            }
        }
    }
}

impl Sink {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if let Err(e) = self.file.write_all(bytes) {
            // Part of it may be in the file: the digest can no longer say what the file holds.
            self.rewritten = true;
            return Err(e);
        }
        if self.position == self.hashed && !self.rewritten {
            self.hasher.update(bytes);
            self.hashed += bytes.len() as u64;
        } else {
            self.rewritten = true;
        }
        self.position += bytes.len() as u64;
        Ok(())
    }
}

/// FFmpeg's error code of an OS error (`AVERROR(errno)`; EIO when there is none).
fn averror(e: &std::io::Error) -> c_int {
    -e.raw_os_error().unwrap_or(EIO)
}

const EIO: c_int = 5;
const EINVAL: c_int = 22;

unsafe extern "C" fn write_packet(opaque: *mut c_void, buf: *mut u8, size: c_int) -> c_int {
    // SAFETY: `opaque` is the sink `attach` gave the context, alive while the context is; FFmpeg passes
    // `size` readable bytes at `buf`.
    let sink = unsafe { &mut *opaque.cast::<Sink>() };
    let bytes = match usize::try_from(size) {
        Ok(n) if n > 0 && !buf.is_null() => unsafe { std::slice::from_raw_parts(buf, n) },
        _ => return 0,
    };
    match sink.write(bytes) {
        Ok(()) => size,
        Err(e) => averror(&e),
    }
}

unsafe extern "C" fn seek(opaque: *mut c_void, offset: i64, whence: c_int) -> i64 {
    // SAFETY: as in `write_packet`.
    let sink = unsafe { &mut *opaque.cast::<Sink>() };
    if whence & ffi::AVSEEK_SIZE != 0 {
        return match sink.file.metadata() {
            Ok(m) => m.len() as i64,
            Err(e) => i64::from(averror(&e)),
        };
    }
    let target = match whence & !ffi::AVSEEK_FORCE {
        0 => SeekFrom::Start(offset.max(0) as u64),
        1 => SeekFrom::Current(offset),
        2 => SeekFrom::End(offset),
        _ => return i64::from(-EINVAL),
    };
    match sink.file.seek(target) {
        Ok(position) => {
            sink.position = position;
            position as i64
        }
        Err(e) => i64::from(averror(&e)),
    }
}
