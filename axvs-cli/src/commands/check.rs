//! `axvs check`: a rig checked without recording (and with `--capacity`, whether this machine keeps up
//! with it), or without a rig, what this machine can record with.

use std::path::Path;
use std::time::Duration;

use axvs_session::backends::Backends;
use axvs_session::rig::Rig;
use axvs_session::session::preflight::preflight;
use axvs_session::session::Frames;

use super::CliError;

/// `axvs check RIG [--capacity]`.
pub fn check(path: &Path, capacity: bool, probe_seconds: f64, json: bool) -> Result<(), CliError> {
    if json && !capacity {
        return Err(CliError::Argument(
            "--json with a rig prints the capacity report: add --capacity".into(),
        ));
    }
    let rig = Rig::load(path, &mut Backends::builtin())?;
    // The checks a run makes before it writes anything, on the frames each camera's settings fix.
    let frames: Vec<Option<Frames>> = rig
        .cameras
        .iter()
        .map(|cam| cam.camera.declared_shape().map(|shape| Frames { shape, fps: None }))
        .collect();
    if !rig.cameras.is_empty() {
        preflight(&rig, &frames, &rig.output_dir)?;
    }
    if !json {
        describe(&rig);
    }
    if !rig.hosts.is_empty() {
        return check_hosts(&rig, capacity.then_some(probe_seconds), json);
    }
    if capacity {
        let time = Duration::try_from_secs_f64(probe_seconds)
            .ok()
            .filter(|t| !t.is_zero() && *t <= Duration::from_secs(60))
            .ok_or_else(|| {
                CliError::Argument(format!(
                    "--probe-seconds {probe_seconds}: expected more than 0, at most 60"
                ))
            })?;
        if !json {
            outln!("capacity: encoding {probe_seconds} s of each camera's frames on this machine ...");
        }
        let report = axvs_session::capacity::assess_rig(&rig, time).map_err(|e| CliError::Recording(e.to_string()))?;
        if json {
            let text = serde_json::to_string_pretty(&report).map_err(|e| CliError::Recording(e.to_string()))?;
            outln!("{text}");
        } else {
            print_capacity(&report);
        }
        if !report.keeps_up {
            return Err(CliError::Recording(format!(
                "the rig will not keep up on this machine: it needs {:.2} of {} cores (bound: {}); camera {} \
                 drops first",
                report.cores_needed,
                report.cores_available,
                report.bound,
                report.cameras.first().map_or(0, |c| c.id)
            )));
        }
    }
    Ok(())
}

/// Each host of a rig across PCs, as a run would find it.
fn check_hosts(rig: &Rig, capacity: Option<f64>, json: bool) -> Result<(), CliError> {
    let hosts = axvs_mcp::coordinator::check(rig, capacity);
    if json {
        let text = serde_json::to_string_pretty(&hosts).map_err(|e| CliError::Recording(e.to_string()))?;
        outln!("{text}");
    }
    let mut problems = Vec::new();
    for host in &hosts {
        if !json {
            match (&host.problem, &host.clock) {
                (Some(problem), _) => outln!("host '{}' ({}): {problem}", host.name, host.url),
                (None, Some(clock)) => outln!(
                    "host '{}' ({}): ready; clock {:+.3} ms from this PC's (round trip {:.3} ms), {}",
                    host.name,
                    host.url,
                    clock.offset_ns as f64 / 1e6,
                    clock.round_trip_ns as f64 / 1e6,
                    clock.host.summary()
                ),
                (None, None) => outln!("host '{}' ({}): ready", host.name, host.url),
            }
            for camera in &host.cameras {
                outln!("  {camera}");
            }
            if let Some(report) = &host.capacity {
                outln!(
                    "  capacity: {:.2} of {} cores needed, headroom {:.2}x: {}",
                    report["cores_needed"].as_f64().unwrap_or(0.0),
                    report["cores_available"].as_u64().unwrap_or(0),
                    report["headroom"].as_f64().unwrap_or(0.0),
                    if report["keeps_up"].as_bool() == Some(true) {
                        "keeps up"
                    } else {
                        "will drop frames"
                    }
                );
            }
        }
        if let Some(problem) = &host.problem {
            problems.push(format!("host '{}': {problem}", host.name));
        }
        if host
            .capacity
            .as_ref()
            .is_some_and(|r| r["keeps_up"].as_bool() != Some(true))
        {
            problems.push(format!("host '{}': its cameras will not keep up on it", host.name));
        }
    }
    match problems.first() {
        None => Ok(()),
        Some(first) => Err(CliError::Recording(format!(
            "{} host(s) not ready; the first: {first}",
            problems.len()
        ))),
    }
}

/// The rig, one line per camera.
fn describe(rig: &Rig) {
    outln!(
        "{}: {} camera(s), output under {}",
        rig.source,
        rig.cameras.len(),
        rig.output_dir.display()
    );
    for cam in &rig.cameras {
        let e = &cam.encoder;
        outln!(
            "  {:03} {:<16} {} -> {} preset {} qp {} {} {} (queue {}, {})",
            cam.id,
            cam.name,
            cam.camera.summary(),
            e.encoder_name().unwrap_or("?"),
            e.preset,
            e.qp.get(),
            e.pixel_format,
            e.container().extension(),
            cam.queue_depth,
            threads_text(e.threads)
        );
    }
}

fn threads_text(threads: Option<u32>) -> String {
    match threads {
        None | Some(0) => "threads: FFmpeg's choice".into(),
        Some(1) => "1 thread".into(),
        Some(n) => format!("{n} threads"),
    }
}

/// The capacity table: cameras first to drop first.
fn print_capacity(report: &axvs_session::capacity::CapacityReport) {
    outln!("  id   name             frames                         CPU ms/frame  alone fps  cores  headroom");
    for c in &report.cameras {
        outln!(
            "  {:03}  {:<16} {:<30} {:>12.2} {:>10.1} {:>6.2} {:>8.2}x",
            c.id,
            c.name,
            c.frames,
            c.cost.cpu_s_per_frame * 1e3,
            c.cost.max_fps_alone,
            c.cores_needed,
            c.headroom
        );
    }
    outln!(
        "  whole rig: {:.2} of {} cores needed (sharing them costs {:+.0} % CPU per frame); headroom {:.2}x \
         (bound: {}): {}",
        report.cores_needed,
        report.cores_available,
        (report.contention - 1.0) * 100.0,
        report.headroom,
        report.bound,
        if report.keeps_up {
            "keeps up"
        } else {
            "will drop frames"
        }
    );
    outln!("  ({})", report.note);
}

/// `axvs check` without a rig: what this machine can record with.
pub fn check_machine(json: bool) -> Result<(), CliError> {
    let found = axvs_session::requirements::check(&mut Backends::builtin());
    if json {
        let text = serde_json::to_string_pretty(&found).map_err(|e| CliError::Recording(e.to_string()))?;
        outln!("{text}");
    } else {
        let mark = |ok: bool| if ok { "ok  " } else { "--  " };
        for lib in &found.ffmpeg {
            outln!(
                "{}FFmpeg {} {}",
                mark(lib.available),
                lib.name,
                lib.version.as_deref().unwrap_or("?")
            );
        }
        for e in &found.encoders {
            let gpu = e.gpu.map(|g| format!(" (GPU {g})")).unwrap_or_default();
            match &e.reason {
                None => outln!("{}encoder {}{gpu}", mark(true), e.encoder),
                Some(why) => outln!("{}encoder {}{gpu}: {why}", mark(false), e.encoder),
            }
        }
        for c in [&found.opencv, &found.gstreamer, &found.aravis] {
            let version = c.version.as_deref().map(|v| format!(" {v}")).unwrap_or_default();
            outln!("{}{}{version}: {}", mark(c.available), c.name, c.detail);
        }
        let cti = &found.gentl;
        match (&cti.path, &cti.reason) {
            (Some(path), None) => outln!(
                "{}GenTL producer {} ({}): {}, {} device(s)",
                mark(true),
                path.display(),
                cti.source.as_deref().unwrap_or(""),
                cti.producer.as_deref().unwrap_or(""),
                cti.devices.unwrap_or(0)
            ),
            (Some(path), Some(why)) => outln!("{}GenTL producer {}: {why}", mark(false), path.display()),
            (None, why) => outln!("{}GenTL producer: {}", mark(false), why.as_deref().unwrap_or("none")),
        }
        match &found.clock {
            Some(clock) => outln!("{}clock: {}", mark(clock.synchronized), clock.summary()),
            None => outln!("--  clock: its state could not be read"),
        }
        if found.plugins.is_empty() {
            outln!("--  plugins: none on the search path");
        }
        for p in &found.plugins {
            match (&p.name, &p.reason) {
                (Some(name), _) => outln!(
                    "{}plugin {name} ({}): backends {}",
                    mark(true),
                    p.path.as_deref().map(|p| p.display().to_string()).unwrap_or_default(),
                    p.backends.join(", ")
                ),
                (None, why) => outln!("{}plugin refused: {}", mark(false), why.as_deref().unwrap_or("")),
            }
        }
    }
    if found.can_record() {
        Ok(())
    } else {
        Err(CliError::Recording(
            "no encoder opens on this machine: axvs cannot record".into(),
        ))
    }
}
