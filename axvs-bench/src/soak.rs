//! A multi-camera soak: four synthetic cameras recorded at once for a while, and what each lost.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axvs_core::{SyntheticCamera, SyntheticConfig, SystemConfig, VideoSystem};
use axvs_encode::{EncoderSettings, FfmpegEncoderFactory, Preset};
use axvs_log::FileLogSink;

use super::{bench_error, measure, BenchSize};
use crate::BenchError;

/// Four synthetic cameras of `size` at 60 fps, x264 veryfast, for `seconds`: drops per camera.
pub(super) fn multi_camera(seconds: f64, size: BenchSize, dir: &Path) -> Result<(), BenchError> {
    let out = dir.join("multi");
    let sink = Arc::new(FileLogSink::create(&out).map_err(|e| bench_error("log", e))?);
    let settings = EncoderSettings {
        preset: Preset::FASTEST,
        ..Default::default()
    };
    let mut systems = Vec::new();
    for id in 1..=4u8 {
        let camera = SyntheticCamera::new(SyntheticConfig {
            width: size.width,
            height: size.height,
            fps: 60.0,
            pixel_format: size.format,
            paced: true,
            frame_limit: None,
            ..SyntheticConfig::default()
        });
        let factory = FfmpegEncoderFactory::new(settings.clone(), &out).map_err(|e| bench_error("encoder", e))?;
        let mut system = VideoSystem::new(
            SystemConfig::new(id, format!("cam{id}")),
            Box::new(camera),
            Some(Arc::new(factory)),
            sink.clone(),
        );
        system.start()?;
        systems.push(system);
    }
    let cpu0 = measure::self_cpu();
    // Resident memory once a second: flat once the pools and encoders are warm, unless something leaks.
    let started = Instant::now();
    let end = started + Duration::from_secs_f64(seconds);
    let mut rss = vec![measure::current_rss()];
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        std::thread::sleep(left.min(Duration::from_secs(1)));
        rss.push(measure::current_rss());
    }
    let cpu = measure::self_cpu() - cpu0;
    outln!();
    outln!(
        "multi-camera: 4 x {}x{} {} @ 60 fps, x264 veryfast qp 15, {seconds:.0} s, CPU {:.0}% of one core",
        size.width,
        size.height,
        size.format,
        cpu.as_secs_f64() / seconds * 100.0
    );
    // The first tenth (at least 5 s) warms up: pools fill, encoders reach their lookahead.
    let warmup = (rss.len() / 10).max(5);
    match measure::rss_drift(&rss, warmup) {
        Some(drift) if rss.len() > warmup + 1 => outln!(
            "  RSS: {:.1} MB after {warmup} s warm-up, {:.1} MB at the end, {:.1} MB at most: growth {:+.1} % \
             over {} samples (flat within 5 %: {})",
            drift.after_warmup as f64 / 1e6,
            drift.end as f64 / 1e6,
            drift.max as f64 / 1e6,
            drift.growth_percent,
            rss.len() - warmup,
            if drift.growth_percent <= 5.0 { "yes" } else { "NO" }
        ),
        _ => outln!("  RSS: the run is too short to sample past a {warmup} s warm-up"),
    }
    outln!("  id     fps    saved  lost(queue/encoder)  camera lost");
    for system in &mut systems {
        let report = system.stop();
        report.result()?;
        let s = report.status;
        outln!(
            "  {:03} {:>7.1} {:>8} {:>11}/{:<11} {:>10}",
            s.id,
            s.fps,
            s.saved,
            s.dropped.queue_full,
            s.dropped.encoder_error,
            s.camera_lost
        );
    }
    sink.close().map_err(|e| bench_error("log", e))?;
    let _ = std::fs::remove_dir_all(&out);
    Ok(())
}
