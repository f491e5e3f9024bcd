//! The summary table `axvs run` prints at the end, and its `--report` JSON.

use std::path::Path;

use axvs_session::session::SessionReport;

/// Prints the summary table and writes `--report`; returns every failure, the report's first.
pub(super) fn print_report(report: &SessionReport, report_path: Option<&Path>) -> Vec<String> {
    let mut failures = report.failures.clone();
    outln!(
        "{:<4} {:<16} {:>9} {:>9} {:>15} {:>10} {:>10} {:>11}  video",
        "id",
        "name",
        "acquired",
        "saved",
        "lost q/enc/log",
        "not saved",
        "cam lost",
        "queue peak"
    );
    for cam in &report.cameras {
        let s = &cam.status;
        outln!(
            "{:<4} {:<16} {:>9} {:>9} {:>15} {:>10} {:>10} {:>11}  {}",
            format!("{:03}", s.id),
            s.name,
            s.acquired,
            s.saved,
            format!(
                "{}/{}/{}",
                s.dropped.queue_full, s.dropped.encoder_error, s.dropped.log_error
            ),
            s.dropped.saving_off,
            s.camera_lost,
            format!("{}/{}", s.queue_peak, s.queue_capacity),
            cam.video
                .as_ref()
                .map(|v| format!(
                    "{} ({} frames, {:.1} MB{})",
                    v.display(),
                    cam.video_frames.unwrap_or(0),
                    cam.video_bytes.unwrap_or(0) as f64 / 1e6,
                    match cam.segments.len() {
                        0 | 1 => String::new(),
                        n => format!(", {n} files"),
                    }
                ))
                .unwrap_or_else(|| "-".into())
        );
    }
    for cam in &report.cameras {
        if let Some(clock) = &cam.device_clock {
            outln!("{:03}  device clock: {clock}", cam.status.id);
        }
    }
    match report.bags.as_slice() {
        [] => outln!("session: {}", report.session_dir.display()),
        bags => {
            for bag in bags {
                outln!("session: {}", bag.display());
            }
        }
    }
    if let Some(path) = report_path {
        if let Err(e) = report.write_json(path) {
            failures.push(format!("report {}: {e}", path.display()));
        }
    }
    failures
}
