//! `axvs stats`: per camera, frames, rate, intervals, gaps and estimated drops (the original's definition),
//! exact drops from device frame ids and the run's own counters; with `--sync`, how the cameras of each
//! recording line up.

use std::path::PathBuf;

use axvs_log::stats::{self, frames::DropThreshold, StatsReport};
use clap::Args;

use super::CliError;

/// Arguments of `axvs stats`.
#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Timestamps files (`.feather`), logs (`.axvslog`), archives (`.npz`), or directories searched for
    /// recordings.
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// Gap threshold in µs (default: 1.5 x the median interval).
    #[arg(long, value_name = "US")]
    threshold_us: Option<f64>,
    /// Gap locations listed per camera.
    #[arg(long, default_value_t = stats::DEFAULT_MAX_DROP_LOCATIONS)]
    max_locations: usize,
    /// Also report how the cameras of each recording line up (onsets, rates, drift, frame pairing).
    #[arg(long)]
    sync: bool,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub fn run(args: StatsArgs) -> Result<(), CliError> {
    let threshold = match args.threshold_us {
        None => DropThreshold::Auto,
        Some(t) if t.is_finite() && t > 0.0 => DropThreshold::Us(t),
        Some(t) => {
            return Err(CliError::Argument(format!(
                "--threshold-us {t}: must be a positive number"
            )))
        }
    };
    let report = stats::analyze(&args.paths, threshold, args.max_locations, args.sync);
    if args.json {
        let json = serde_json::to_string_pretty(&report).map_err(|e| CliError::Recording(e.to_string()))?;
        outln!("{json}");
    } else {
        print_tables(&report);
    }
    let failed: Vec<String> = report
        .results
        .iter()
        .filter_map(|r| {
            // Named once: most errors already begin with the input they are about.
            let file = r.file.display().to_string();
            r.error.as_ref().map(|e| {
                if e.starts_with(&file) {
                    e.clone()
                } else {
                    format!("{file}: {e}")
                }
            })
        })
        .collect();
    match failed.first() {
        Some(first) => Err(CliError::Recording(format!(
            "{} of {} inputs could not be read; the first: {first}",
            failed.len(),
            report.total_files
        ))),
        None => Ok(()),
    }
}

fn print_tables(report: &StatsReport) {
    outln!(
        "{:>4} {:<14} {:>8} {:>9} {:>8} {:>9} {:>8} {:>5} {:>7} {:>8} {:>8}  run: acquired/saved/lost",
        "id",
        "camera",
        "frames",
        "seconds",
        "fps",
        "median ms",
        "std ms",
        "gaps",
        "est.lost",
        "drop %",
        "id gaps"
    );
    for r in &report.results {
        let id = r.source_id.map_or("-".into(), |i| i.to_string());
        let name = r.name.clone().unwrap_or_else(|| "-".into());
        let Some(s) = &r.stats else {
            outln!(
                "{id:>4} {name:<14} error: {}",
                r.error.as_deref().unwrap_or("unreadable")
            );
            continue;
        };
        let ids = s
            .device_frame_ids
            .as_ref()
            .map_or("-".into(), |i| format!("{} lost", i.missing_ids));
        let run = r.runtime.as_ref().map_or("-".into(), |c| {
            format!("{}/{}/{}", c.acquired, c.saved, c.lost + c.camera_lost)
        });
        // Fewer than two frames have no span, intervals or gaps: those columns read "-".
        let figure = |value: Option<f64>, decimals: usize| value.map_or("-".into(), |v| format!("{v:.decimals$}"));
        let span = s.basic_stats.span.as_ref();
        let (t, d) = (s.inter_frame_timing.as_ref(), s.frame_drop_analysis.as_ref());
        outln!(
            "{id:>4} {name:<14} {:>8} {:>9} {:>8} {:>9} {:>8} {:>5} {:>7} {:>8} {:>8}  {run}",
            s.basic_stats.total_frames,
            figure(span.map(|b| b.duration_seconds), 3),
            figure(span.map(|b| b.estimated_fps), 3),
            figure(t.map(|t| t.median_ms), 3),
            figure(t.map(|t| t.std_ms), 3),
            d.map_or("-".into(), |d| d.total_gaps_detected.to_string()),
            d.map_or("-".into(), |d| d.total_estimated_dropped_frames.to_string()),
            figure(d.map(|d| d.drop_rate_percent), 4),
            ids
        );
        if let Some(c) = &r.device_clock {
            outln!("       device clock: {c}");
        }
        let Some(d) = d else { continue };
        for l in &d.drop_locations {
            outln!(
                "       gap after frame {}: {:.3} ms, ~{} frames lost",
                l.frame_index,
                l.gap_ms,
                l.estimated_frames_lost
            );
        }
        if d.drop_locations_truncated {
            outln!("       ... more gaps (--max-locations)");
        }
    }
    if !report.results.is_empty() {
        outln!("  est.lost: frames the time gaps suggest (an estimate, as the original's)");
        outln!("  id gaps:  frames the camera's own ids skip (exact, where the camera numbers its frames)");
        outln!("  run:      the recording's own counts (exact; lost = queue + encoder + log + camera): trust it first");
    }
    for g in report.sync.iter().flatten() {
        outln!();
        outln!("sync: {}", g.recording.display());
        for base in &g.time_bases {
            outln!(
                "  host {}: times moved by {:+.3} ms onto the coordinator's clock (within ±{:.3} ms; its clock {})",
                base.host,
                -base.offset_us / 1e3,
                base.uncertainty_us / 1e3,
                if base.synchronized {
                    "synchronized"
                } else {
                    "not synchronized by a time daemon"
                }
            );
        }
        let label = |i: usize| {
            let c = &g.report.cameras[i];
            c.source_id.map_or_else(|| format!("#{i}"), |id| id.to_string())
        };
        outln!(
            "{:>4} {:>8} {:>10} {:>16} {:>10} {:>12}",
            "id",
            "frames",
            "start +ms",
            "first frame +ms",
            "fps",
            "rate ppm"
        );
        for (i, c) in g.report.cameras.iter().enumerate() {
            outln!(
                "{:>4} {:>8} {:>10} {:>16.3} {:>10.3} {:>12}{}",
                label(i),
                c.frames,
                c.log_onset_offset_us
                    .map_or("-".into(), |o| format!("{:.3}", o as f64 / 1e3)),
                c.onset_offset_us as f64 / 1e3,
                c.fps,
                // Cameras at another nominal rate have no drift to give.
                c.rate_vs_reference_ppm
                    .map_or("other rate".into(), |ppm| format!("{ppm:.1}")),
                if g.report.reference == Some(i) {
                    "  (reference)"
                } else {
                    ""
                }
            );
        }
        for p in &g.report.pairings {
            let offset = p.offset.as_ref().map_or("-".into(), |o| {
                format!(
                    "median {:.3} ms, 5-95% {:.3}..{:.3} ms",
                    o.median_us / 1e3,
                    o.p5_us / 1e3,
                    o.p95_us / 1e3
                )
            });
            outln!(
                "  with {}: {} paired, {} / {} without partner; offset {offset}; drift {}",
                label(p.camera),
                p.paired,
                p.unpaired_reference,
                p.unpaired_other,
                p.drift_us_per_min.map_or("-".into(), |d| format!("{d:.1} µs/min"))
            );
            if let Some(o) = &p.mapped_offset {
                outln!(
                    "        mapped (device clocks): median {:.1} µs, 5-95% {:.1}..{:.1} µs",
                    o.median_us,
                    o.p5_us,
                    o.p95_us
                );
            }
        }
        for (what, spread) in [("host", &g.report.host_spread), ("mapped", &g.report.mapped_spread)] {
            if let Some(s) = spread {
                outln!(
                    "  per trigger, {what} times: spread median {:.1} µs, 95% {:.1} µs, max {:.1} µs",
                    s.median_us,
                    s.p95_us,
                    s.max_us
                );
            }
        }
        for n in &g.report.not_paired {
            outln!("  not paired: {n}");
        }
        if let Some(spread) = g.report.start_spread_us {
            outln!(
                "  start spread: {:.3} ms (the latest first frame after the earliest)",
                spread as f64 / 1e3
            );
        }
    }
}
