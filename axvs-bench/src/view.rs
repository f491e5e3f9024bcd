//! `axvs-bench view`: what the live view costs. The same rig of synthetic cameras records with the view off
//! and on, alternately, in this process; each run's CPU over the same span is read per thread from
//! `/proc` (all of axvs, the view's own thread) and for the X server when the bench started it, with the
//! frames each run lost.

use std::collections::HashMap;
use std::io::BufRead;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axvs_session::backends::Backends;
use axvs_session::capacity::cpu::{task_ticks, ticks_to_duration, used_between};
use axvs_session::rig::Rig;
use axvs_session::session::{Notice, PreviewChoice, Session, SessionOptions};
use clap::Args;

use super::{bench_error, BenchSize};
use crate::BenchError;

/// Arguments of `axvs-bench view`.
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Cameras in the rig (1 to 9).
    #[arg(long, default_value_t = 4)]
    cameras: usize,
    /// Their frames: WIDTHxHEIGHT:FORMAT.
    #[arg(long, default_value = "1920x1080:mono8")]
    size: BenchSize,
    /// Their rate.
    #[arg(long, default_value_t = 30.0)]
    fps: f64,
    /// The view's rate.
    #[arg(long, default_value_t = 15.0)]
    display_fps: f64,
    /// Seconds measured per run (after a second to settle).
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Runs with the view off and on, alternately (medians are reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Save the frames too (x264 veryfast), as a recording does; by default saving is off, so that the
    /// difference is the view's cost alone, not the encoders' noise.
    #[arg(long)]
    save: bool,
}

/// Figures of one run.
#[derive(Debug, Clone, Copy, Default)]
struct Figures {
    /// axvs' CPU over wall time.
    cores: f64,
    /// The view thread's.
    view: f64,
    /// The X server's, when known.
    x_server: Option<f64>,
    acquired: u64,
    lost: u64,
    camera_lost: u64,
}

/// Runs the benchmark.
pub fn run(args: ViewArgs) -> Result<(), BenchError> {
    let positive = |v: f64| v.is_finite() && v > 0.0;
    if !(1..=9).contains(&args.cameras) || args.runs == 0 {
        return Err(BenchError::Argument(
            "--cameras: from 1 to 9; --runs: at least 1".into(),
        ));
    }
    if !positive(args.seconds) || !positive(args.fps) || !positive(args.display_fps) || args.display_fps > args.fps {
        return Err(BenchError::Argument(
            "--seconds, --fps and --display-fps must be positive, and --display-fps at most --fps".into(),
        ));
    }
    // A display of its own when there is none, sized like a common monitor.
    let mut own_x = None;
    if std::env::var_os("DISPLAY").is_none_or(|d| d.is_empty()) {
        let (child, display) = start_xvfb()?;
        std::env::set_var("DISPLAY", &display);
        own_x = Some(child);
    }
    let x_pid = own_x.as_ref().map(|c: &Child| c.id());
    let result = (|| -> Result<[Vec<Figures>; 2], BenchError> {
        let dir = tempfile::tempdir().map_err(|e| bench_error("view", e))?;
        let mut runs: [Vec<Figures>; 2] = [Vec::new(), Vec::new()];
        for run in 0..args.runs {
            for (i, view) in [false, true].into_iter().enumerate() {
                let name = format!("{}{run}", if view { "on" } else { "off" });
                runs[i].push(run_once(&args, dir.path(), &name, view, x_pid)?);
            }
        }
        Ok(runs)
    })();
    if let Some(mut child) = own_x {
        let _ = child.kill();
        let _ = child.wait();
    }
    let [off, on] = result?;
    report(&args, &median(&off), &median(&on), x_pid.is_some());
    Ok(())
}

/// Records the rig once for a second to settle plus `args.seconds`, with or without the view.
fn run_once(
    args: &ViewArgs,
    dir: &std::path::Path,
    name: &str,
    view: bool,
    x_pid: Option<u32>,
) -> Result<Figures, BenchError> {
    // Frames (if any) go to a temporary directory: the free-space guard stays off, as in the other benches.
    let mut text = format!(
        "output_dir = {}\nmin_free_space = \"0\"\n[encoder]\npreset = 1\n",
        toml::Value::String(dir.display().to_string())
    );
    for id in 1..=args.cameras {
        text += &format!(
            "[[camera]]\nid = {id}\nname = \"cam{id}\"\nbackend = \"synthetic\"\nwidth = {}\nheight = {}\nfps = {}\n\
             pixel_format = \"{}\"\n",
            args.size.width, args.size.height, args.fps, args.size.format
        );
    }
    let rig =
        Rig::parse("bench view rig", &text, dir, &mut Backends::builtin()).map_err(|e| bench_error("view rig", e))?;
    let options = SessionOptions {
        name: Some(name.into()),
        saving: args.save,
        preview: if view {
            PreviewChoice::Rate(args.display_fps)
        } else {
            PreviewChoice::Off
        },
        ..SessionOptions::default()
    };
    let mut session = Session::start(rig, options).map_err(|e| bench_error("view session", e))?;
    let mut failure = None;
    let mut watch = |session: &mut Session, until: Instant| {
        while Instant::now() < until {
            for notice in session.poll().notices {
                if matches!(
                    notice,
                    Notice::PreviewOff { .. } | Notice::ViewEnded { .. } | Notice::CameraFailed { .. }
                ) {
                    failure.get_or_insert(notice.to_string());
                }
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    watch(&mut session, Instant::now() + Duration::from_secs(1));
    let before = task_ticks("self");
    let x_before = x_pid.map(|p| total_ticks(&p.to_string()));
    let start = Instant::now();
    let counts = |s: &Session| -> Vec<(u64, u64, u64)> {
        s.status()
            .cameras
            .iter()
            .map(|c| (c.acquired, c.dropped.lost(), c.camera_lost))
            .collect()
    };
    let first = counts(&session);
    watch(&mut session, start + Duration::from_secs_f64(args.seconds));
    let after = task_ticks("self");
    let wall = start.elapsed().as_secs_f64();
    let x_after = x_pid.map(|p| total_ticks(&p.to_string()));
    let last = counts(&session);
    let names = thread_names();
    let view_ticks: u64 = after
        .iter()
        .filter(|(tid, _)| names.get(tid).is_some_and(|n| n == "axvs-view"))
        .map(|(tid, now)| now.saturating_sub(before.get(tid).copied().unwrap_or(0)))
        .sum();
    let report = session.stop(&mut |_| {});
    if let Some(failure) = failure.or_else(|| report.failures.first().cloned()) {
        return Err(bench_error("view", failure));
    }
    let delta = |f: fn(&(u64, u64, u64)) -> u64| -> u64 { last.iter().zip(&first).map(|(l, f0)| f(l) - f(f0)).sum() };
    Ok(Figures {
        cores: used_between(&before, &after).as_secs_f64() / wall,
        view: ticks_to_duration(view_ticks).as_secs_f64() / wall,
        x_server: x_before
            .zip(x_after)
            .map(|(b, a)| ticks_to_duration(a.saturating_sub(b)).as_secs_f64() / wall),
        acquired: delta(|c| c.0),
        lost: delta(|c| c.1),
        camera_lost: delta(|c| c.2),
    })
}

/// Prints the table and the ratios.
fn report(args: &ViewArgs, off: &Figures, on: &Figures, x_known: bool) {
    outln!(
        "axvs-bench view: {} x {}x{} {} at {} fps, shown at {} fps, saving {}, {} s per run, {} run(s) each (medians)",
        args.cameras,
        args.size.width,
        args.size.height,
        args.size.format,
        args.fps,
        args.display_fps,
        if args.save { "on" } else { "off" },
        args.seconds,
        args.runs
    );
    outln!(
        "{:<10} {:>8} {:>12} {:>10} {:>10} {:>8} {:>9}",
        "",
        "cores",
        "view thread",
        "X server",
        "acquired",
        "lost",
        "cam lost"
    );
    for (label, f, view) in [("view off", off, false), ("view on", on, true)] {
        let x = match (view, f.x_server) {
            (true, Some(x)) => format!("{x:.3}"),
            _ => "-".into(),
        };
        outln!(
            "{label:<10} {:>8.3} {:>12} {x:>10} {:>10} {:>8} {:>9}",
            f.cores,
            if view { format!("{:.3}", f.view) } else { "-".into() },
            f.acquired,
            f.lost,
            f.camera_lost
        );
    }
    let extra = on.cores - off.cores;
    outln!(
        "view cost: {extra:.3} cores in axvs ({:.2}x the rig's CPU without it; its own thread {:.3}){}",
        on.cores / off.cores.max(1e-9),
        on.view,
        if x_known {
            format!(", and {:.3} cores in the X server", on.x_server.unwrap_or(0.0))
        } else {
            " (the X server's share is not known: the bench did not start it)".into()
        }
    );
}

/// The figures' medians, field by field.
fn median(runs: &[Figures]) -> Figures {
    let mid = |f: fn(&Figures) -> f64| {
        let mut v: Vec<f64> = runs.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    Figures {
        cores: mid(|f| f.cores),
        view: mid(|f| f.view),
        x_server: runs
            .iter()
            .all(|f| f.x_server.is_some())
            .then(|| mid(|f| f.x_server.unwrap_or(0.0))),
        acquired: mid(|f| f.acquired as f64) as u64,
        lost: mid(|f| f.lost as f64) as u64,
        camera_lost: mid(|f| f.camera_lost as f64) as u64,
    }
}

/// Every thread of this process by id, with its name.
fn thread_names() -> HashMap<u32, String> {
    std::fs::read_dir("/proc/self/task")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let tid = e.file_name().to_str()?.parse().ok()?;
            let name = std::fs::read_to_string(e.path().join("comm")).ok()?;
            Some((tid, name.trim().to_string()))
        })
        .collect()
}

/// CPU ticks of a whole process, its threads together.
fn total_ticks(pid: &str) -> u64 {
    task_ticks(pid).values().sum()
}

/// Starts Xvfb on a display number it picks itself, 1920x1080 at 24 bits; returns it and its `DISPLAY`.
fn start_xvfb() -> Result<(Child, String), BenchError> {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-noreset",
            "-nolisten",
            "tcp",
            "-screen",
            "0",
            "1920x1080x24",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| {
            bench_error(
                "view",
                format!("DISPLAY is unset and Xvfb does not start ({e}); ./dev deps installs it"),
            )
        })?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = std::io::BufReader::new(out).read_line(&mut line);
    }
    match line.trim().parse::<u32>() {
        Ok(number) => Ok((child, format!(":{number}"))),
        Err(_) => {
            let _ = child.kill();
            let _ = child.wait();
            Err(bench_error("view", "Xvfb gave no display number"))
        }
    }
}
