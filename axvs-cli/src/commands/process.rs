//! `axvs process`: every camera of every recording under some roots to
//! `camera_timestamps/camera_<id>_timestamps.feather`, with the original's tracker.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axvs_log::process::{self, batch, tracker::JobStatus, Selection};
use clap::Args;

use super::CliError;

/// Arguments of `axvs process`.
#[derive(Debug, Args)]
pub struct ProcessArgs {
    /// Directories searched recursively for recordings (a camera manifest, `NNN.axvslog` logs or
    /// `N_log.npz` archives).
    #[arg(required = true)]
    roots: Vec<PathBuf>,
    /// Output directory: each recording's `camera_timestamps/` goes to the same place under it as the
    /// recording under its root. Default: beside each recording's logs.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Jobs at once (default: one per core).
    #[arg(short, long, default_value_t = 0)]
    jobs: usize,
    /// Redo jobs that already succeeded.
    #[arg(long)]
    force: bool,
    /// Only this source id (repeatable).
    #[arg(short, long = "source", value_name = "ID")]
    sources: Vec<u8>,
    /// Only the job with this id (in every recording).
    #[arg(long)]
    job_id: Option<String>,
    /// No progress bar.
    #[arg(long)]
    no_progress: bool,
}

/// Runs the command.
pub fn run(args: ProcessArgs) -> Result<(), CliError> {
    let selection = Selection {
        sources: args.sources,
        job_id: args.job_id,
    };
    let plan = process::plan(&args.roots, args.output.as_deref(), &selection)?;
    for r in &plan.recordings {
        if let Some(e) = &r.manifest_error {
            errln!("axvs: warning: {e} (its logs are processed without camera names)");
        }
    }
    for s in &plan.skipped {
        errln!("axvs: warning: {}: {}", s.log_dir.display(), s.reason);
    }
    let progress = Arc::new(batch::Progress::new(&plan));
    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        // Jobs running finish (their outputs are renamed into place whole); no new one starts.
        let _ = ctrlc::set_handler(move || cancel.store(true, Ordering::Relaxed));
    }
    let options = batch::Options {
        jobs: args.jobs,
        force: args.force,
    };
    let bar = (!args.no_progress && std::io::IsTerminal::is_terminal(&std::io::stderr())).then(|| {
        let bar = indicatif::ProgressBar::new(plan.jobs.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} jobs {msg} [{elapsed}]")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let (done_tx, done_rx) = crossbeam_channel::bounded::<()>(1);
    let report = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let report = batch::run(&plan, &options, &progress, &cancel);
            let _ = done_tx.send(());
            report
        });
        // The bar is redrawn ten times a second until the batch says it is done.
        while let Err(crossbeam_channel::RecvTimeoutError::Timeout) = done_rx.recv_timeout(Duration::from_millis(100)) {
            if let Some(bar) = &bar {
                let s = progress.snapshot();
                bar.set_position(s.done as u64);
                bar.set_message(format!(
                    "{:.1} M entries/s{}",
                    s.entries as f64 / s.elapsed_s.max(1e-3) / 1e6,
                    if s.failed > 0 {
                        format!(", {} failed", s.failed)
                    } else {
                        String::new()
                    }
                ));
            }
        }
        worker.join()
    })
    .map_err(|_| CliError::Recording("the batch panicked".into()))?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let snapshot = progress.snapshot();
    for o in &report.outcomes {
        let job = &plan.jobs[o.job];
        if let Some(e) = &o.error {
            outln!(
                "FAILED  {} camera {} (job {}): {e}",
                job.log.display(),
                job.source_id,
                job.job_id
            );
        }
    }
    let skipped = report.outcomes.iter().filter(|o| o.skipped).count();
    let scheduled = report
        .outcomes
        .iter()
        .filter(|o| o.status == JobStatus::Scheduled)
        .count();
    let entries = report.entries();
    outln!(
        "{} jobs in {} recordings: {} succeeded{}, {} failed{}; {} entries read in {:.2} s ({:.1} M entries/s)",
        plan.jobs.len(),
        plan.recordings.len(),
        report.succeeded(),
        if skipped > 0 {
            format!(" ({skipped} done before, skipped; --force redoes them)")
        } else {
            String::new()
        },
        report.failed(),
        if scheduled > 0 {
            format!(", {scheduled} not started (interrupted)")
        } else {
            String::new()
        },
        entries,
        snapshot.elapsed_s,
        entries as f64 / snapshot.elapsed_s.max(1e-9) / 1e6
    );
    if report.failed() > 0 || scheduled > 0 {
        return Err(CliError::Recording(format!(
            "{} of {} jobs failed{}; each tracker says why",
            report.failed(),
            plan.jobs.len(),
            if scheduled > 0 {
                format!(" and {scheduled} did not start")
            } else {
                String::new()
            }
        )));
    }
    Ok(())
}
