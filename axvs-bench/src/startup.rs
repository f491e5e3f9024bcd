//! Start-up latency: from `axvs run` to the first saved frame.

use std::path::Path;
use std::process::{Command, Stdio};

use super::bench_error;
use super::measure;
use crate::BenchError;

/// Start of `axvs run` (process launch) to the first saved frame, for a synthetic camera.
pub(super) fn startup(runs: usize, dir: &Path) -> Result<(), BenchError> {
    let exe = crate::axvs_exe()?;
    let rig = dir.join("startup.toml");
    // A few seconds of video in a temporary directory: the free-space guard (for recordings) stays off, as
    // in `bench capacity`, so that a nearly full disk does not stop the benchmark.
    std::fs::write(
        &rig,
        "min_free_space = \"0\"\n[[camera]]\nid = 1\nname = \"s\"\nbackend = \"synthetic\"\nwidth = 1280\nheight = 720\nfps = 30\n\
         [encoder]\npreset = 1\n",
    )
    .map_err(|e| bench_error("startup", e))?;
    let mut firsts = Vec::new();
    for i in 0..runs {
        let report = dir.join(format!("startup{i}.json"));
        let output = Command::new(&exe)
            .args([
                "run",
                "--duration",
                "0.5",
                "--status-interval",
                "0",
                "--session",
                &format!("s{i}"),
                "-o",
            ])
            .arg(dir)
            .arg("--report")
            .arg(&report)
            .arg(&rig)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| bench_error("startup", e))?;
        if !output.status.success() {
            return Err(bench_error(
                "startup",
                format!(
                    "axvs run exited with {}: {}",
                    output.status,
                    String::from_utf8_lossy(&output.stderr).trim()
                ),
            ));
        }
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).map_err(|e| bench_error("startup", e))?)
                .map_err(|e| bench_error("startup", e))?;
        if let Some(ms) = json["cameras"][0]["first_frame_ms"].as_f64() {
            firsts.push(ms);
        }
    }
    outln!();
    outln!(
        "start-up: process launch to first saved frame (1280x720 synthetic, x264 veryfast): median {:.0} ms over {} runs",
        measure::median(&mut firsts),
        firsts.len()
    );
    Ok(())
}
