//! What the encoder tests read their files with: `ffprobe` and the `ffmpeg` CLI of the same FFmpeg.

use std::path::Path;
use std::process::Command;

/// `ffprobe -v error <args> <path>`'s standard output, trimmed; fails the test when ffprobe fails.
pub fn ffprobe(path: &Path, args: &[&str]) -> String {
    let out = Command::new("ffprobe")
        .args(["-v", "error"])
        .args(args)
        .arg(path)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "ffprobe: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The video stream's `entries` (e.g. `packet=pts`), one line per value.
#[allow(dead_code, reason = "not every test file uses every helper")]
pub fn entries(path: &Path, entries: &str) -> Vec<String> {
    ffprobe(
        path,
        &["-select_streams", "v:0", "-show_entries", entries, "-of", "csv=p=0"],
    )
    .lines()
    .map(|l| l.trim().to_string())
    .collect()
}

/// Every decoded picture of `path` as raw `pix_fmt` bytes, one after another (no frame-rate conversion).
pub fn decode_raw(path: &Path, pix_fmt: &str) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(path)
        .args(["-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"])
        .output()
        .expect("run ffmpeg");
    assert!(out.status.success(), "ffmpeg: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// Frames in the file, as decoded by `ffprobe -count_frames`.
#[allow(dead_code, reason = "not every test file uses every helper")]
pub fn count_frames(path: &Path) -> u64 {
    let text = ffprobe(
        path,
        &[
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=nb_read_frames",
            "-of",
            "csv=p=0",
        ],
    );
    text.parse()
        .unwrap_or_else(|_| panic!("frame count of {}: {text}", path.display()))
}
