//! Helpers for the end-to-end tests: the `axvs` binary, ffprobe/ffmpeg readers, numpy checks.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The `axvs` binary built beside the test executables (`AXVS_BIN` overrides).
pub fn axvs_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("AXVS_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target directory");
    let bin = dir.join(format!("axvs{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run the workspace tests (cargo test --workspace), which build it",
        bin.display()
    );
    bin
}

/// A command running `axvs`.
pub fn axvs() -> Command {
    Command::new(axvs_bin())
}

/// Polls `condition` every 10 ms until it holds; panics with `what` after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let start = Instant::now();
    while !condition() {
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Frames ffprobe counts by decoding the whole video stream.
pub fn ffprobe_frame_count(video: &Path) -> u64 {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(video)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "ffprobe failed on {}: {}",
        video.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim()
        .trim_end_matches(',')
        .parse()
        .unwrap_or_else(|_| panic!("ffprobe frame count of {}: {text:?}", video.display()))
}

/// Presentation timestamps (in the stream time base, µs for axvs files) of every frame, in display order.
pub fn ffprobe_frame_pts(video: &Path) -> Vec<i64> {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "frame=pts",
        ])
        .args(["-of", "csv=p=0"])
        .arg(video)
        .output()
        .expect("run ffprobe");
    assert!(
        out.status.success(),
        "ffprobe failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split(',').next().and_then(|v| v.trim().parse().ok()))
        .collect()
}

/// The stream time base of a video as `(num, den)`.
pub fn ffprobe_time_base(video: &Path) -> (i64, i64) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=time_base",
        ])
        .args(["-of", "csv=p=0"])
        .arg(video)
        .output()
        .expect("run ffprobe");
    let text = String::from_utf8_lossy(&out.stdout);
    let (n, d) = text.trim().split_once('/').expect("num/den");
    (n.parse().expect("num"), d.parse().expect("den"))
}

/// Decodes a video with the ffmpeg CLI and returns each frame's luma plane.
pub fn decode_luma(video: &Path, width: usize, height: usize) -> Vec<Vec<u8>> {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(video)
        .args([
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ])
        .output()
        .expect("run ffmpeg");
    assert!(
        out.status.success(),
        "ffmpeg decode failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.stdout.len() % (width * height),
        0,
        "decoded size is not whole frames"
    );
    out.stdout
        .chunks_exact(width * height)
        .map(<[u8]>::to_vec)
        .collect()
}

/// Decodes the whole file and returns what FFmpeg complained about (empty when it played cleanly).
pub fn decode_errors(video: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(video)
        .args(["-f", "null", "-"])
        .output()
        .expect("run ffmpeg");
    let mut text = String::from_utf8_lossy(&out.stderr).to_string();
    if !out.status.success() {
        text.push_str(&format!(" (exit {:?})", out.status.code()));
    }
    text
}

/// Runs a Python snippet with numpy; the snippet gets `sys.argv[1:]` = `args`. Panics with its output on
/// failure. numpy is a test dependency that `.ci/run` (and the README's test command) install.
pub fn python_numpy(script: &str, args: &[&Path]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python/numpy check failed (is numpy installed? `python3 -m pip install numpy`): {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Writes a rig file into `dir` and returns its path.
pub fn write_rig(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write rig");
    path
}
