//! The background log writer.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use axvs_core::{LogError, LogSink};
use crossbeam_channel::{Receiver, Sender};

use crate::clock::ClockFit;
use crate::device::{self, DeviceRecord};
use crate::digest::{Tally, WrittenDigest};
use crate::file::{encode_record, log_file_name, MAGIC};
use crate::LogFileError;

/// Entries the writer may have in flight before `log` waits for it.
const CHANNEL_CAPACITY: usize = 1 << 16;
/// The longest an accepted entry waits before it is handed to the OS: after a crash, the log may miss the
/// entries of the frames saved in this time before it (`reconcile` restores them from the video).
pub const MAX_FLUSH_DELAY: Duration = Duration::from_secs(1);

enum Msg {
    Entry {
        source_id: u8,
        time_us: u64,
        payload: Vec<u8>,
        /// A frame's host sequence number, device frame id and timestamp, for the sidecar.
        device: Option<(u64, Option<u64>, Option<u64>)>,
    },
    Flush(Sender<()>),
}

/// The first error of each source's log, by source id, and how many of its entries were not written
/// because of it. A source whose log failed gets no more entries written; the other sources go on.
#[derive(Debug)]
struct SourceErrors(Mutex<Vec<Option<Failure>>>);

#[derive(Debug, Clone)]
struct Failure {
    message: String,
    unwritten: u64,
    /// Of those, frame entries: frames that count as saved only if their entry is written.
    frames: u64,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (at least {} entries not written)", self.message, self.unwritten)
    }
}

impl SourceErrors {
    fn new() -> Self {
        SourceErrors(Mutex::new(vec![None; 256]))
    }

    fn get(&self, source_id: u8) -> Option<String> {
        match self.0.lock() {
            Ok(errors) => errors[source_id as usize].as_ref().map(Failure::to_string),
            Err(_) => Some("the log writer failed".into()),
        }
    }

    /// Records that `entries` entries of `source_id`, `frames` of them frame entries, were not written:
    /// the first time, because of `message`.
    fn set(&self, source_id: u8, entries: u64, frames: u64, message: impl FnOnce() -> String) {
        if let Ok(mut errors) = self.0.lock() {
            match &mut errors[source_id as usize] {
                Some(failure) => {
                    failure.unwritten += entries;
                    failure.frames += frames;
                }
                slot @ None => {
                    let message = message();
                    tracing::error!("log writer: {message}");
                    *slot = Some(Failure {
                        message,
                        unwritten: entries,
                        frames,
                    });
                }
            }
        }
    }

    /// Frame entries of `source_id` that were not written.
    fn frames_lost(&self, source_id: u8) -> u64 {
        self.0
            .lock()
            .map(|e| e[source_id as usize].as_ref().map_or(0, |f| f.frames))
            .unwrap_or(0)
    }

    fn failed(&self, source_id: u8) -> bool {
        self.0.lock().map(|e| e[source_id as usize].is_some()).unwrap_or(true)
    }

    /// Every error so far, in source order, joined into one line.
    fn all(&self) -> Option<String> {
        let errors = self.0.lock().ok()?;
        let all: Vec<String> = errors.iter().flatten().map(Failure::to_string).collect();
        (!all.is_empty()).then(|| all.join("; "))
    }
}

/// What the writer thread wrote: its log files, and the digests of those (and of their sidecars) it wrote
/// whole.
type Written = (Vec<PathBuf>, Vec<WrittenDigest>);

/// A [`LogSink`] writing one raw log per source (`<dir>/<id:03d>.axvslog`) from a background thread, and
/// beside it the frames' device metadata (`<id:03d>.axvsdev`, see [`crate::device`]).
///
/// `log` only queues the entry. The writer writes through a buffer and hands it to the OS whenever it has
/// caught up with its queue, and at least once a second under sustained load, so a crash loses at most the
/// last second. A log file that already exists is never overwritten or appended to. Errors are kept per
/// source: one camera's failed log file does not stop the others' logs.
pub struct FileLogSink {
    dir: PathBuf,
    tx: Mutex<Option<Sender<Msg>>>,
    errors: Arc<SourceErrors>,
    thread: Mutex<Option<JoinHandle<Written>>>,
    digests: Mutex<Vec<WrittenDigest>>,
}

impl FileLogSink {
    /// Starts a writer for logs in `dir` (created if missing).
    pub fn create(dir: impl AsRef<Path>) -> Result<Self, LogFileError> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(LogFileError::io(&dir))?;
        let (tx, rx) = crossbeam_channel::bounded(CHANNEL_CAPACITY);
        let errors = Arc::new(SourceErrors::new());
        let writer = Writer {
            dir: dir.clone(),
            files: (0..=255).map(|_| None).collect(),
            written: Vec::new(),
            errors: Arc::clone(&errors),
        };
        let thread = std::thread::Builder::new()
            .name("axvs-log".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| LogFileError::Writer(e.to_string()))?;
        Ok(FileLogSink {
            dir,
            tx: Mutex::new(Some(tx)),
            errors,
            thread: Mutex::new(Some(thread)),
            digests: Mutex::new(Vec::new()),
        })
    }

    /// The log directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The raw log file of a source.
    pub fn log_path(&self, source_id: u8) -> PathBuf {
        self.dir.join(log_file_name(source_id))
    }

    fn sender(&self, source_id: u8) -> Result<Sender<Msg>, LogError> {
        if let Some(e) = self.errors.get(source_id) {
            return Err(LogError::Io(e));
        }
        self.tx
            .lock()
            .ok()
            .and_then(|tx| tx.clone())
            .ok_or_else(|| LogError::Closed("the log was closed".into()))
    }

    /// Writes everything queued, stops the writer and returns the log files it wrote; an error names every
    /// source whose log failed.
    pub fn close(&self) -> Result<Vec<PathBuf>, LogFileError> {
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        let handle = self.thread.lock().ok().and_then(|mut t| t.take());
        let files = match handle {
            Some(h) => {
                let (files, digests) = h
                    .join()
                    .map_err(|_| LogFileError::Writer("writer thread panicked".into()))?;
                if let Ok(mut kept) = self.digests.lock() {
                    *kept = digests;
                }
                files
            }
            None => Vec::new(),
        };
        if let Some(e) = self.errors.all() {
            return Err(LogFileError::Writer(e));
        }
        Ok(files)
    }

    /// Once closed: the SHA-256 of each log and sidecar whose every byte the writer wrote without an error,
    /// computed as it wrote them.
    pub fn written_digests(&self) -> Vec<WrittenDigest> {
        self.digests.lock().map(|d| d.clone()).unwrap_or_default()
    }
}

impl LogSink for FileLogSink {
    fn log(&self, source_id: u8, time_us: u64, payload: &[u8]) -> Result<(), LogError> {
        if payload.len() + crate::entry::HEADER_LEN > crate::file::MAX_RECORD {
            return Err(LogError::Io(format!(
                "a {}-byte payload is larger than a log entry may be",
                payload.len()
            )));
        }
        self.sender(source_id)?
            .send(Msg::Entry {
                source_id,
                time_us,
                payload: payload.to_vec(),
                device: None,
            })
            .map_err(|_| LogError::Closed("the log writer stopped".into()))
    }

    fn log_frame(&self, source_id: u8, meta: &axvs_core::FrameMeta) -> Result<(), LogError> {
        self.sender(source_id)?
            .send(Msg::Entry {
                source_id,
                time_us: meta.time_us,
                payload: Vec::new(),
                device: Some((meta.sequence, meta.device_frame_id, meta.device_timestamp_ns)),
            })
            .map_err(|_| LogError::Closed("the log writer stopped".into()))
    }

    fn flush(&self, source_id: u8) -> Result<(), LogError> {
        let (reply_tx, reply_rx) = crossbeam_channel::bounded(1);
        self.sender(source_id)?
            .send(Msg::Flush(reply_tx))
            .map_err(|_| LogError::Closed("the log writer stopped".into()))?;
        reply_rx
            .recv()
            .map_err(|_| LogError::Closed("the log writer stopped".into()))?;
        match self.errors.get(source_id) {
            Some(e) => Err(LogError::Io(e)),
            None => Ok(()),
        }
    }

    fn frames_lost(&self, source_id: u8) -> u64 {
        self.errors.frames_lost(source_id)
    }
}

impl Drop for FileLogSink {
    fn drop(&mut self) {
        let open = self.thread.lock().map(|t| t.is_some()).unwrap_or(false);
        if !open {
            return;
        }
        if let Err(e) = self.close() {
            tracing::error!("closing the log in {}: {e}", self.dir.display());
        }
    }
}

/// One source's open log: the bytes not yet handed to the OS, and where each entry among them ends.
struct SourceLog {
    path: PathBuf,
    file: File,
    pending: Vec<u8>,
    /// End offset in `pending` of each entry, and whether it is a frame entry.
    ends: Vec<(usize, bool)>,
    /// Frame entries so far: the index of the next one.
    frames: u64,
    /// The device metadata sidecar, once a frame brought some; `Err` once it failed (the log goes on).
    sidecar: Option<Result<Sidecar, ()>>,
    /// The device clock's mapping onto the host's, fitted as frames come.
    clock: ClockFit,
    /// The last onset's time, µs since the UNIX epoch.
    onset_utc_us: u64,
    /// SHA-256 of what the file holds.
    tally: Tally,
}

/// The device metadata sidecar of one source: auxiliary, so its failure is a warning, never a lost frame.
struct Sidecar {
    path: PathBuf,
    file: File,
    pending: Vec<u8>,
    tally: Tally,
}

impl Sidecar {
    fn create(path: PathBuf) -> Result<Self, String> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        file.write_all(MAGIC_DEVICE)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let mut tally = Tally::new();
        tally.add(MAGIC_DEVICE);
        Ok(Sidecar {
            path,
            file,
            pending: Vec::new(),
            tally,
        })
    }

    fn flush(&mut self) -> Result<(), String> {
        if let Err(e) = self.file.write_all(&self.pending) {
            self.tally.lose();
            return Err(format!("{}: {e}", self.path.display()));
        }
        self.tally.add(&self.pending);
        self.pending.clear();
        Ok(())
    }
}

const MAGIC_DEVICE: &[u8; 8] = device::MAGIC;

/// Pending bytes of one source beyond which they are handed to the OS at once.
const PENDING_LIMIT: usize = 64 * 1024;

impl SourceLog {
    /// Creates the log (never an existing one) and writes its magic at once, so that a recording killed
    /// before its first entries leaves a log that reads as empty.
    fn create(path: PathBuf) -> Result<Self, String> {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::AlreadyExists => {
                    format!("refusing to overwrite existing log {}", path.display())
                }
                _ => format!("{}: {e}", path.display()),
            })?;
        file.write_all(MAGIC).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut tally = Tally::new();
        tally.add(MAGIC);
        Ok(SourceLog {
            path,
            file,
            pending: Vec::with_capacity(PENDING_LIMIT),
            ends: Vec::new(),
            frames: 0,
            sidecar: None,
            clock: ClockFit::default(),
            onset_utc_us: 0,
            tally,
        })
    }

    fn push(&mut self, source_id: u8, time_us: u64, payload: &[u8], device: Option<(u64, Option<u64>, Option<u64>)>) {
        encode_record(source_id, time_us, payload, &mut self.pending);
        let frame = time_us != 0 && payload.is_empty();
        self.ends.push((self.pending.len(), frame));
        if let (0, Ok(onset)) = (time_us, <[u8; 8]>::try_from(payload)) {
            self.onset_utc_us = u64::from_le_bytes(onset);
        }
        if !frame {
            return;
        }
        if let Some((sequence, device_frame_id, device_timestamp_ns)) = device {
            let mut record = DeviceRecord {
                frame_index: self.frames,
                time_us,
                sequence,
                device_frame_id,
                device_timestamp_ns,
                mapped_ns: None,
            };
            // On the epoch's scale, as readers of the times since the epoch run the fit again (a log with
            // several onsets is one host time line there).
            let onset_ns = i64::try_from(self.onset_utc_us).unwrap_or(0).saturating_mul(1000);
            let (device_ns, host_ns) = device::host_point(&record);
            record.mapped_ns = device_ns
                .and_then(|d| self.clock.map(d, onset_ns.saturating_add(host_ns)))
                .map(|m| m - onset_ns);
            let path = self.path.with_extension(device::EXTENSION);
            let sidecar = self.sidecar.get_or_insert_with(|| {
                Sidecar::create(path).map_err(|e| tracing::warn!("device metadata not kept: {e}"))
            });
            if let Ok(sidecar) = sidecar {
                record.write_to(&mut sidecar.pending);
            }
        }
        self.frames += 1;
    }

    /// Hands the sidecar's pending bytes to the OS; on an error it is given up, with a warning.
    fn flush_sidecar(&mut self) {
        if let Some(Ok(sidecar)) = self.sidecar.as_mut()
            && let Err(e) = sidecar.flush()
        {
            tracing::warn!("device metadata not kept from here on: {e}");
            self.sidecar = Some(Err(()));
        }
    }

    /// Hands the pending bytes to the OS. On an error, returns it with the entries (and frame entries) that
    /// did not get there whole: their count is exact, so a frame is counted saved only if its entry is in
    /// the file.
    fn flush(&mut self) -> Result<(), (String, u64, u64)> {
        let mut done = 0;
        while done < self.pending.len() {
            let error = match self.file.write(&self.pending[done..]) {
                Ok(0) => std::io::Error::from(std::io::ErrorKind::WriteZero),
                Ok(n) => {
                    self.tally.add(&self.pending[done..done + n]);
                    done += n;
                    continue;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => e,
            };
            // The log failed: what it holds is read again when sealed.
            self.tally.lose();
            let cut: Vec<bool> = self.ends.iter().filter(|(end, _)| *end > done).map(|e| e.1).collect();
            let frames = cut.iter().filter(|frame| **frame).count() as u64;
            return Err((format!("{}: {error}", self.path.display()), cut.len() as u64, frames));
        }
        self.pending.clear();
        self.ends.clear();
        self.flush_sidecar();
        Ok(())
    }
}

struct Writer {
    dir: PathBuf,
    files: Vec<Option<SourceLog>>,
    written: Vec<PathBuf>,
    errors: Arc<SourceErrors>,
}

impl Writer {
    fn run(mut self, rx: Receiver<Msg>) -> Written {
        while let Ok(first) = rx.recv() {
            let burst_start = Instant::now();
            self.handle(first);
            while let Ok(msg) = rx.try_recv() {
                self.handle(msg);
                if burst_start.elapsed() >= MAX_FLUSH_DELAY {
                    break;
                }
            }
            self.flush_all();
        }
        self.flush_all();
        // Closing: the logs reach the disk itself, not only the OS cache, so a power cut after a
        // recording ended cannot take them.
        for (id, slot) in self.files.iter().enumerate() {
            if let Some(log) = slot {
                if let Err(e) = log.file.sync_all() {
                    self.errors
                        .set(id as u8, 0, 0, || format!("{}: {e}", log.path.display()));
                }
                if let Some(Ok(sidecar)) = &log.sidecar
                    && let Err(e) = sidecar.file.sync_all()
                {
                    tracing::warn!("device metadata {}: {e}", sidecar.path.display());
                }
            }
        }
        let digests = self
            .files
            .iter()
            .flatten()
            .flat_map(|log| {
                let sidecar = match &log.sidecar {
                    Some(Ok(s)) => s.tally.finish(s.path.clone()),
                    _ => None,
                };
                log.tally.finish(log.path.clone()).into_iter().chain(sidecar)
            })
            .collect();
        (self.written, digests)
    }

    fn handle(&mut self, msg: Msg) {
        match msg {
            Msg::Entry {
                source_id,
                time_us,
                payload,
                device,
            } => {
                let frame = u64::from(time_us != 0 && payload.is_empty());
                if self.errors.failed(source_id) {
                    self.errors.set(source_id, 1, frame, String::new);
                    return;
                }
                let index = source_id as usize;
                if self.files[index].is_none() {
                    match SourceLog::create(self.dir.join(log_file_name(source_id))) {
                        Ok(log) => {
                            self.written.push(log.path.clone());
                            self.files[index] = Some(log);
                        }
                        Err(e) => {
                            self.errors.set(source_id, 1, frame, || e);
                            return;
                        }
                    }
                }
                if let Some(log) = self.files[index].as_mut() {
                    log.push(source_id, time_us, &payload, device);
                    if log.pending.len() >= PENDING_LIMIT {
                        self.flush_source(index);
                    }
                }
            }
            Msg::Flush(reply) => {
                self.flush_all();
                let _ = reply.send(());
            }
        }
    }

    /// Flushes one source; a failed log is closed: nothing more is written to a log with a hole in it.
    fn flush_source(&mut self, index: usize) {
        if let Some(log) = self.files[index].as_mut()
            && let Err((message, entries, frames)) = log.flush()
        {
            self.files[index] = None;
            self.errors.set(index as u8, entries, frames, || message);
        }
    }

    fn flush_all(&mut self) {
        for index in 0..self.files.len() {
            self.flush_source(index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_log;

    #[test]
    fn writes_per_source_files_and_flushes_on_request() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sink = FileLogSink::create(dir.path()).expect("sink");
        sink.log(1, 0, &7u64.to_le_bytes()).expect("log");
        sink.log(2, 0, &8u64.to_le_bytes()).expect("log");
        sink.log(1, 5, &[]).expect("log");
        sink.flush(1).expect("flush");
        // Visible to a reader before close: what a crash would leave.
        let one = read_log(&sink.log_path(1)).expect("read");
        assert_eq!(one.entries.len(), 2);
        let files = sink.close().expect("close");
        assert_eq!(
            files,
            [sink.log_path(1), sink.log_path(2)],
            "the logs written, in order"
        );
        assert_eq!(sink.dir(), dir.path());
        assert_eq!(sink.log_path(2), dir.path().join("002.axvslog"));
        let two = read_log(&sink.log_path(2)).expect("read");
        assert_eq!(two.entries.len(), 1);
        assert_eq!(two.entries[0].onset_utc_us(), Some(8));
        assert!(sink.log(1, 6, &[]).is_err(), "closed sink must refuse");
    }

    #[test]
    fn never_overwrites_an_existing_log() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("003.axvslog"), b"old").expect("write");
        let sink = FileLogSink::create(dir.path()).expect("sink");
        sink.log(3, 0, &[0; 8]).expect("queued");
        let err = sink.flush(3).expect_err("the log exists").to_string();
        assert!(
            err.contains("refusing to overwrite existing log") && err.contains("003.axvslog"),
            "{err}"
        );
        assert!(sink.close().is_err());
        assert_eq!(std::fs::read(dir.path().join("003.axvslog")).expect("read"), b"old");
    }

    #[test]
    fn one_sources_failed_log_leaves_the_others_logging() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("003.axvslog"), b"old").expect("write");
        let sink = FileLogSink::create(dir.path()).expect("sink");
        sink.log(3, 0, &[0; 8]).expect("queued");
        sink.log(4, 0, &[0; 8]).expect("queued");
        assert!(sink.flush(3).is_err());
        sink.flush(4).expect("source 4 is unaffected");
        assert!(sink.log(3, 1, &[]).is_err(), "source 3 refuses once failed");
        for t in 1..=10 {
            sink.log(4, t, &[]).expect("source 4 goes on");
        }
        let err = sink.close().expect_err("close names the failed source").to_string();
        assert!(
            err.contains("003.axvslog") && err.contains("(at least 1 entries not written)"),
            "{err}"
        );
        assert_eq!(
            read_log(&dir.path().join("004.axvslog")).expect("read").entries.len(),
            11
        );
        assert_eq!(std::fs::read(dir.path().join("003.axvslog")).expect("read"), b"old");
    }

    #[test]
    fn a_frame_whose_log_could_not_be_made_counts_as_lost_for_its_source_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("003.axvslog"), b"old").expect("write");
        let sink = FileLogSink::create(dir.path()).expect("sink");
        sink.log(3, 7, &[]).expect("queued");
        sink.log(4, 7, &[]).expect("queued");
        assert!(sink.flush(3).is_err());
        sink.flush(4).expect("source 4 is unaffected");
        assert_eq!((sink.frames_lost(3), sink.frames_lost(4)), (1, 0));
    }

    #[test]
    fn a_sources_errors_count_every_entry_not_written() {
        let errors = SourceErrors::new();
        assert!(!errors.failed(3));
        assert_eq!(errors.all(), None);
        errors.set(3, 1, 1, || "disk full".into());
        errors.set(3, 1, 0, || unreachable!("the first message is kept"));
        errors.set(3, 1, 1, String::new);
        assert_eq!((errors.frames_lost(3), errors.frames_lost(4)), (2, 0));
        assert!(errors.failed(3) && !errors.failed(4));
        assert_eq!(
            errors.get(3).as_deref(),
            Some("disk full (at least 3 entries not written)")
        );
        assert_eq!(errors.get(4), None);
        errors.set(9, 1, 0, || "gone".into());
        assert_eq!(
            errors.all().as_deref(),
            Some("disk full (at least 3 entries not written); gone (at least 1 entries not written)")
        );
    }

    #[test]
    fn payloads_up_to_1_mib_are_taken() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sink = FileLogSink::create(dir.path()).expect("sink");
        let largest = vec![1u8; 1 << 20];
        sink.log(1, 5, &largest).expect("the largest payload fits");
        let err = sink
            .log(1, 6, &[largest.as_slice(), &[1]].concat())
            .expect_err("one byte too many");
        assert!(err.to_string().contains("larger than a log entry may be"), "{err}");
        sink.close().expect("close");
        assert_eq!(
            read_log(&sink.log_path(1)).expect("read").entries[0].payload.len(),
            largest.len()
        );
    }

    #[test]
    fn frames_with_metadata_fill_the_sidecar_by_their_place_among_frames() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sink = FileLogSink::create(dir.path()).expect("sink");
        let meta = |time_us, sequence, id: Option<u64>, ts: Option<u64>| axvs_core::FrameMeta {
            sequence,
            device_frame_id: id,
            device_timestamp_ns: ts,
            time_us,
            width: 4,
            height: 4,
            pixel_format: axvs_core::PixelFormat::Mono8,
        };
        sink.log(5, 0, &1u64.to_le_bytes()).expect("onset");
        sink.log(5, 7, &[]).expect("a frame without metadata");
        sink.log(5, 8, b"data").expect("data is no frame");
        sink.log_frame(5, &meta(10, 3, Some(41), None)).expect("frame");
        sink.log_frame(5, &meta(12, 5, None, Some(900))).expect("frame");
        sink.close().expect("close");
        let log = read_log(&sink.log_path(5)).expect("log");
        assert_eq!(log.entries.len(), 5);
        assert!(
            log.entries[3].is_frame() && log.entries[4].is_frame(),
            "frame entries stay empty"
        );
        let records = device::read_sidecar(&dir.path().join("005.axvsdev")).expect("sidecar");
        assert_eq!(records.len(), 2);
        assert_eq!(
            (
                records[0].frame_index,
                records[0].time_us,
                records[0].sequence,
                records[0].device_frame_id
            ),
            (1, 10, 3, Some(41))
        );
        assert_eq!(
            (
                records[1].frame_index,
                records[1].device_timestamp_ns,
                records[1].device_frame_id
            ),
            (2, Some(900), None)
        );
        assert!(!dir.path().join("006.axvsdev").exists());
    }

    #[test]
    fn dropping_the_sink_writes_everything_before_it_returns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sink = FileLogSink::create(dir.path()).expect("sink");
        let path = sink.log_path(6);
        for t in 0..50_000 {
            sink.log(6, t, &[]).expect("log");
        }
        drop(sink);
        assert_eq!(read_log(&path).expect("read").entries.len(), 50_000);
    }
}
