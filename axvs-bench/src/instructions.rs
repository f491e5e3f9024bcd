//! `axvs-bench --instructions`: each variant's work per frame in instructions, counted by callgrind. Unlike
//! seconds, these counts do not change with what else the machine runs, so a few per cent are visible.
//!
//! Each variant runs twice under `valgrind --tool=callgrind --trace-children=yes` (b's `ffmpeg` child is
//! counted too): with [`WARMUP`] frames and with one synthetic period more. The difference is the cost of
//! exactly one period of frames, without process start-up, set-up or the encoder's final flush.

use std::io::ErrorKind;
use std::path::Path;
use std::process::Stdio;

use axvs_core::SYNTHETIC_PERIOD;

use super::{bench_error, variant_command, BenchArgs, BenchError, BenchSize, Variant};

/// Frames of the shorter of the two runs: enough to fill x264's lookahead, and a whole period, so that
/// variant c renders the same frames beforehand in both runs.
const WARMUP: u64 = SYNTHETIC_PERIOD;

/// Fails early, before any timed run, if valgrind is missing.
pub(super) fn check_valgrind() -> Result<(), BenchError> {
    let missing =
        || BenchError::Argument("--instructions needs valgrind (Debian package valgrind), which was not found".into());
    let status = std::process::Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|_| missing())?;
    if status.success() {
        Ok(())
    } else {
        Err(missing())
    }
}

/// Prints instructions per frame of every variant at `size`, and the shares and ratios that follow.
pub(super) fn compare(args: &BenchArgs, size: BenchSize, variants: &[Variant], dir: &Path) -> Result<(), BenchError> {
    let mut per_frame = Vec::with_capacity(variants.len());
    for &variant in variants {
        let short = count(args, size, variant, WARMUP, &dir.join("cg-short"))?;
        let long = count(args, size, variant, WARMUP + SYNTHETIC_PERIOD, &dir.join("cg-long"))?;
        let diff = long.checked_sub(short).ok_or_else(|| {
            bench_error(
                "instructions",
                format!(
                    "variant {}: the longer run counted fewer instructions ({long} < {short})",
                    variant.code()
                ),
            )
        })?;
        per_frame.push(diff as f64 / SYNTHETIC_PERIOD as f64);
    }
    let mega = |i: usize| per_frame[i] / 1e6;
    out!(
        "  instructions per frame (callgrind, frames {}..{}): a {:.2} M  b {:.2} M  c {:.2} M",
        WARMUP + 1,
        WARMUP + SYNTHETIC_PERIOD,
        mega(0),
        mega(1),
        mega(2)
    );
    if per_frame.len() > 3 {
        out!("  a' {:.2} M", mega(3));
    }
    outln!();
    out!(
        "  => non-encoder share of a's instructions {:.2} %; b/a {:.3}",
        (1.0 - per_frame[2] / per_frame[0]) * 100.0,
        per_frame[1] / per_frame[0]
    );
    if per_frame.len() > 3 {
        out!("; b(yuv420p)/a'(gray) {:.3}", per_frame[1] / per_frame[3]);
    }
    outln!();
    Ok(())
}

/// Instructions of one variant run of `frames` frames, its children included.
fn count(args: &BenchArgs, size: BenchSize, variant: Variant, frames: u64, dir: &Path) -> Result<u64, BenchError> {
    let wrapper = prepare(dir)?;
    let command = variant_command(Some(&wrapper), args, size, variant, &dir.join("out"), frames)?;
    run_counted(command, dir, variant.code())
}

/// Empties `dir` for a counted run and returns the valgrind command line that writes its counts there.
pub(super) fn prepare(dir: &Path) -> Result<[String; 5], BenchError> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).map_err(|e| bench_error("instructions", e))?;
    Ok([
        "valgrind".to_string(),
        "--tool=callgrind".into(),
        "--trace-children=yes".into(),
        "-q".into(),
        format!("--callgrind-out-file={}/cg.%p", dir.display()),
    ])
}

/// Runs `command` (which starts with the line [`prepare`] gave) and sums the instructions of every
/// process it counted.
pub(super) fn run_counted(mut command: std::process::Command, dir: &Path, what: &str) -> Result<u64, BenchError> {
    let output = command.stdin(Stdio::null()).output().map_err(|e| match e.kind() {
        ErrorKind::NotFound => {
            BenchError::Argument("--instructions needs valgrind (Debian package valgrind), which was not found".into())
        }
        _ => bench_error("valgrind", e),
    })?;
    if !output.status.success() {
        return Err(bench_error(
            "instructions",
            format!(
                "variant {what} under valgrind exited with {}: {}",
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        ));
    }
    let mut total = 0u64;
    for entry in std::fs::read_dir(dir).map_err(|e| bench_error("instructions", e))? {
        let path = entry.map_err(|e| bench_error("instructions", e))?.path();
        if !path.file_name().is_some_and(|n| n.to_string_lossy().starts_with("cg.")) {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|e| bench_error("instructions", e))?;
        total +=
            totals(&text).ok_or_else(|| bench_error("instructions", format!("no totals in {}", path.display())))?;
    }
    let _ = std::fs::remove_dir_all(dir);
    Ok(total)
}

/// The `totals:` (or, in older files, `summary:`) event count of a callgrind output file.
fn totals(text: &str) -> Option<u64> {
    let line = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
    };
    line("totals:").or_else(|| line("summary:"))
}

#[cfg(test)]
mod tests {
    use super::totals;

    #[test]
    fn reads_callgrind_totals() {
        assert_eq!(totals("events: Ir\nsummary: 12\ntotals: 34\n"), Some(34));
        assert_eq!(totals("events: Ir\nsummary: 12\n"), Some(12));
        assert_eq!(totals("events: Ir\n"), None);
    }
}
