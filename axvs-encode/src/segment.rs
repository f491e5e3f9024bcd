//! One camera's video split into files: after a set duration, number of frames or size, and after a long
//! pause in saving. Each file starts with a keyframe (a new encoder) and keeps the frames' times, so one
//! continuous log covers them all, frame after frame, file after file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use axvs_core::{CameraInfo, EncodeSummary, Encoder, EncoderError, Frame};
use serde::{Deserialize, Serialize};

use crate::{EncodeError, EncoderSettings, FfmpegEncoder};

/// A pause between two saved frames beyond which the next frame starts a new file. The frame before a
/// pause lasts until the next one, and MP4 stores a frame's duration and its display offset in 32 bits:
/// about 35 minutes in µs.
pub const LONG_PAUSE: Duration = Duration::from_secs(30 * 60);

/// When a camera's video continues in a new file: `"15min"`, `"90s"`, `"1h"`; `"10000frames"`;
/// `"2GB"`, `"500MiB"`.
///
/// ```
/// use std::time::Duration;
/// use axvs_encode::SegmentLimit;
/// assert_eq!("15min".parse(), Ok(SegmentLimit::Duration(Duration::from_secs(900))));
/// assert_eq!("5000 frames".parse(), Ok(SegmentLimit::Frames(5000)));
/// assert_eq!("2GB".parse(), Ok(SegmentLimit::Bytes(2_000_000_000)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum SegmentLimit {
    /// Recording time per file (between the first and the last frame's times).
    Duration(Duration),
    /// Frames per file.
    Frames(u64),
    /// Bytes per file (a file ends at the first frame past the size).
    Bytes(u64),
}

/// The longest time one file may span.
pub const MAX_SEGMENT: Duration = Duration::from_secs(365 * 24 * 3600);

impl FromStr for SegmentLimit {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!("segment '{s}': give a duration (\"15min\", \"90s\", \"1h\"), frames (\"10000frames\") or a size (\"2GB\")")
        };
        let text = s.trim();
        let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).ok_or_else(bad)?;
        let (number, unit) = text.split_at(split);
        let number: f64 = number.parse().map_err(|_| bad())?;
        if !(number.is_finite() && number > 0.0) {
            return Err(bad());
        }
        let seconds = |scale: f64| match Duration::try_from_secs_f64(number * scale) {
            Ok(d) if d < Duration::from_secs(1) => Err(format!("segment '{s}': a file must span at least 1 s")),
            Ok(d) if d <= MAX_SEGMENT => Ok(SegmentLimit::Duration(d)),
            _ => Err(format!("segment '{s}': a file may span at most a year (8760h)")),
        };
        let bytes = |scale: f64| Ok(SegmentLimit::Bytes((number * scale).round() as u64));
        match unit.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" => seconds(1.0),
            "min" | "m" => seconds(60.0),
            "h" => seconds(3600.0),
            "frames" | "frame" if number.fract() == 0.0 => Ok(SegmentLimit::Frames(number as u64)),
            "kb" => bytes(1e3),
            "mb" => bytes(1e6),
            "gb" => bytes(1e9),
            "mib" => bytes(1024.0 * 1024.0),
            "gib" => bytes(1024.0 * 1024.0 * 1024.0),
            _ => Err(bad()),
        }
    }
}

impl TryFrom<String> for SegmentLimit {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl From<SegmentLimit> for String {
    fn from(limit: SegmentLimit) -> String {
        limit.to_string()
    }
}

impl fmt::Display for SegmentLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SegmentLimit::Duration(d) => write!(f, "{}s", d.as_secs_f64()),
            SegmentLimit::Frames(n) => write!(f, "{n}frames"),
            SegmentLimit::Bytes(b) => write!(f, "{}MB", *b as f64 / 1e6),
        }
    }
}

/// The file segment `n` (1 for the first) of the video whose first file is `first`:
/// `003.mp4`, `003_002.mp4`, `003_003.mp4`, ... (in name order too).
pub fn segment_path(first: &Path, n: usize) -> PathBuf {
    if n <= 1 {
        return first.to_path_buf();
    }
    let stem = first.file_stem().map(|s| s.to_string_lossy()).unwrap_or_default();
    let ext = first.extension().map(|e| e.to_string_lossy()).unwrap_or_default();
    first.with_file_name(format!("{stem}_{n:03}.{ext}"))
}

/// The video files in `dir` that run `run` of source `id` wrote, in order: `<id:03d>.<ext>` for the first run,
/// `<id:03d>-<run>.<ext>` after, each continued in `_002`, `_003`, ... when it was split into segments.
pub fn run_files(dir: &Path, id: u8, run: usize) -> Vec<PathBuf> {
    let stem = match run {
        1 => format!("{id:03}"),
        n => format!("{id:03}-{n}"),
    };
    crate::Container::ALL
        .iter()
        .map(|c| segment_files(&dir.join(format!("{stem}.{}", c.extension()))))
        .find(|files| !files.is_empty())
        .unwrap_or_default()
}

/// The files of the video whose first file is `first`, in order: `first` and each next segment that exists.
pub fn segment_files(first: &Path) -> Vec<PathBuf> {
    (1..)
        .map(|n| segment_path(first, n))
        .take_while(|p| p.exists())
        .collect()
}

/// How often (in frames) a size limit looks at the file.
const SIZE_CHECK_FRAMES: u64 = 16;

/// An [`Encoder`] that writes one camera's frames into a series of files (see the module).
pub struct SegmentedEncoder {
    settings: EncoderSettings,
    camera: CameraInfo,
    first: PathBuf,
    current: FfmpegEncoder,
    finished: Vec<EncodeSummary>,
    /// Frames in the current file, and the time of its first and of the last frame.
    frames: u64,
    /// Frames in all files.
    total: u64,
    started_us: u64,
    last_us: Option<u64>,
}

impl SegmentedEncoder {
    /// Starts the first file, `first` (which must not exist).
    pub fn create(settings: &EncoderSettings, first: &Path, camera: &CameraInfo) -> Result<Self, EncodeError> {
        Ok(SegmentedEncoder {
            current: FfmpegEncoder::create(settings, first, camera)?,
            settings: settings.clone(),
            camera: camera.clone(),
            first: first.to_path_buf(),
            finished: Vec::new(),
            frames: 0,
            total: 0,
            started_us: 0,
            last_us: None,
        })
    }

    /// Whether the frame at `time_us` starts a new file.
    fn new_file_due(&self, time_us: u64) -> bool {
        if self.frames == 0 {
            return false;
        }
        let since = |t: u64| Duration::from_micros(time_us.saturating_sub(t));
        if self.last_us.is_some_and(|last| since(last) > LONG_PAUSE) {
            return true;
        }
        match self.settings.segment {
            None => false,
            Some(SegmentLimit::Duration(d)) => since(self.started_us) >= d,
            Some(SegmentLimit::Frames(n)) => self.frames >= n,
            Some(SegmentLimit::Bytes(b)) => {
                self.frames.is_multiple_of(SIZE_CHECK_FRAMES)
                    && std::fs::metadata(self.current.path()).is_ok_and(|m| m.len() >= b)
            }
        }
    }

    /// Finishes the current file and starts the next.
    fn next_file(&mut self) -> Result<(), EncodeError> {
        let path = segment_path(&self.first, self.finished.len() + 2);
        let next = FfmpegEncoder::create_at(&self.settings, &path, &self.camera, self.total)?;
        let done = std::mem::replace(&mut self.current, next).finish_file()?;
        self.finished.push(done);
        self.frames = 0;
        Ok(())
    }

    /// Encodes one frame (its time in µs since the onset), starting a new file first when one is due.
    pub fn encode_raw(&mut self, data: &[u8], time_us: u64) -> Result<(), EncodeError> {
        if self.new_file_due(time_us) {
            self.next_file()?;
        }
        self.current.encode_raw(data, time_us)?;
        if self.frames == 0 {
            self.started_us = time_us;
        }
        self.frames += 1;
        self.total += 1;
        self.last_us = Some(time_us);
        Ok(())
    }

    /// Finishes the last file; the summary counts every file, listed in `segments`.
    pub fn finish_files(&mut self) -> Result<EncodeSummary, EncodeError> {
        let last = self.current.finish_file()?;
        let mut segments = std::mem::take(&mut self.finished);
        segments.push(last);
        segments.iter_mut().for_each(|s| s.segments.clear());
        Ok(EncodeSummary {
            path: self.first.clone(),
            frames: segments.iter().map(|s| s.frames).sum(),
            bytes: segments.iter().map(|s| s.bytes).sum(),
            // One file's digest; each segment has its own.
            sha256: match segments.as_slice() {
                [one] => one.sha256.clone(),
                _ => None,
            },
            segments,
        })
    }
}

impl Encoder for SegmentedEncoder {
    fn encode(&mut self, frame: &Frame) -> Result<(), EncoderError> {
        Ok(self.encode_raw(frame.data(), frame.meta().time_us)?)
    }

    fn finish(&mut self) -> Result<EncodeSummary, EncoderError> {
        Ok(self.finish_files()?)
    }

    fn path(&self) -> &Path {
        &self.first
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_with_their_units_and_bad_ones_say_what_is_allowed() {
        let secs = |s| SegmentLimit::Duration(Duration::from_secs(s));
        assert_eq!("90s".parse(), Ok(secs(90)));
        assert_eq!("1.5 min".parse(), Ok(secs(90)));
        assert_eq!("2h".parse(), Ok(secs(7200)));
        assert_eq!("100frames".parse(), Ok(SegmentLimit::Frames(100)));
        assert_eq!("1 GiB".parse(), Ok(SegmentLimit::Bytes(1 << 30)));
        for bad in ["", "15", "fast", "0s", "-5min", "2.5frames", "5 parsecs"] {
            let err = bad.parse::<SegmentLimit>().expect_err(bad);
            assert!(err.starts_with(&format!("segment '{bad}'")), "{err}");
        }
        assert!("0.5s"
            .parse::<SegmentLimit>()
            .expect_err("short")
            .contains("at least 1 s"));
        for huge in ["99999999999999999999h", "9000h", "1e30s"] {
            let e = huge.parse::<SegmentLimit>().expect_err(huge);
            assert!(
                e.contains("at most a year") || e.contains("give a duration"),
                "{huge}: {e}"
            );
        }
        assert_eq!("8760h".parse(), Ok(secs(365 * 24 * 3600)));
        for limit in [secs(90), SegmentLimit::Frames(7), SegmentLimit::Bytes(2_500_000)] {
            assert_eq!(limit.to_string().parse(), Ok(limit), "{limit}");
        }
    }

    #[test]
    fn segment_files_are_named_in_order() {
        let first = Path::new("/r/s/003-2.mp4");
        assert_eq!(segment_path(first, 1), first);
        assert_eq!(segment_path(first, 2), Path::new("/r/s/003-2_002.mp4"));
        assert_eq!(segment_path(first, 12), Path::new("/r/s/003-2_012.mp4"));
        let dir = tempfile::tempdir().expect("tempdir");
        let first = dir.path().join("007.mkv");
        assert!(segment_files(&first).is_empty());
        for n in [1, 2, 4] {
            std::fs::write(segment_path(&first, n), b"").expect("write");
        }
        assert_eq!(
            segment_files(&first),
            [first.clone(), segment_path(&first, 2)],
            "stops at a gap"
        );
    }
}
