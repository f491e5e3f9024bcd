//! `axvs-bench --plugin PATH --instructions`: the cost of the plugin boundary. The `rawfile` template
//! plugin, loaded from PATH, against the same camera code linked into `axvs`, on the same raw clip of
//! synthetic frames: once as a bare grab loop (camera only: any pipeline work would add the same to both;
//! the clip loops, and the counts compare 1000 with 3000 frames, so that the loader's start-up, which
//! varies by a few thousand instructions from run to run with its hash seeds, stays below one
//! instruction per frame), once as a whole recording (camera → queue → encoder → file, with the log,
//! the clip played once: 32 against 64 frames). Counted in instructions, like the other variants under
//! `--instructions`. The kernel's copy of each frame out of the page cache is not counted by callgrind.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axvs_core::{
    BackendSettings, Camera, CameraConfig, CameraError, NullLogSink, SyntheticCamera, SystemConfig, SystemEvent,
    VideoSystem, SYNTHETIC_PERIOD,
};
use axvs_encode::{EncoderSettings, FfmpegEncoderFactory};
use axvs_plugin::Plugin;
use axvs_plugin_rawfile::RawFileConfig;

use super::instructions::{prepare, run_counted};
use super::{bench_error, synthetic, BenchArgs, BenchError, BenchSize};

/// The variants: where the camera comes from, and how much of the pipeline runs.
const VARIANTS: [(&str, &str); 4] = [
    ("raw-builtin-grab", "built in, grab loop"),
    ("raw-plugin-grab", "plugin,   grab loop"),
    ("raw-builtin-pipeline", "built in, recording"),
    ("raw-plugin-pipeline", "plugin,   recording"),
];

/// Frames of the two grab-loop runs.
const GRABS: (u64, u64) = (1000, 3000);

/// Whether `code` names one of this module's variants.
pub(super) fn is_variant(code: &str) -> bool {
    VARIANTS.iter().any(|(c, _)| *c == code)
}

fn clip_name(size: BenchSize) -> String {
    format!("clip_{}x{}_{}.raw", size.width, size.height, size.format)
}

/// Writes a clip of `frames` synthetic frames into `dir`.
fn write_clip(size: BenchSize, frames: u64, dir: &Path) -> Result<PathBuf, BenchError> {
    std::fs::create_dir_all(dir).map_err(|e| bench_error("plugin clip", e))?;
    let mut camera = SyntheticCamera::new(synthetic(size, super::DEFAULT_BENCH_FPS, None));
    let info = camera.open().map_err(|e| bench_error("camera", e))?;
    let mut frame = vec![0u8; info.frame_size()];
    let mut data = Vec::with_capacity(frame.len() * frames as usize);
    for index in 0..frames {
        camera.render(index, &mut frame);
        data.extend_from_slice(&frame);
    }
    let path = dir.join(clip_name(size));
    std::fs::write(&path, data).map_err(|e| bench_error("plugin clip", e))?;
    Ok(path)
}

/// Counts every variant with `frames` = one and two synthetic periods, and prints instructions per frame
/// and the plugin's ratio to the built-in camera.
pub(super) fn compare(args: &BenchArgs, size: BenchSize, plugin: &Path, dir: &Path) -> Result<(), BenchError> {
    Plugin::load(plugin).map_err(|e| BenchError::Argument(format!("--plugin: {e}")))?;
    let (short, long) = (SYNTHETIC_PERIOD, 2 * SYNTHETIC_PERIOD);
    let clips = [(short, dir.join("clip-short")), (long, dir.join("clip-long"))];
    for (frames, clip_dir) in &clips {
        write_clip(size, *frames, clip_dir)?;
    }
    let grabs = [(GRABS.0, clips[0].1.clone()), (GRABS.1, clips[0].1.clone())];
    outln!();
    outln!(
        "plugin boundary: rawfile {}x{} {}, the plugin ({}) against the same camera built in; instructions \
         per frame (callgrind; grab loop: frames {}..{}, recording: frames {}..{})",
        size.width,
        size.height,
        size.format,
        plugin.display(),
        GRABS.0 + 1,
        GRABS.1,
        short + 1,
        long
    );
    let mut per_frame = Vec::new();
    for (code, label) in VARIANTS {
        let mut counts = Vec::new();
        let runs = if code.ends_with("grab") { &grabs } else { &clips };
        for (frames, clip_dir) in runs {
            let cg = dir.join("cg-plugin");
            let wrapper = prepare(&cg)?;
            let mut command = std::process::Command::new(&wrapper[0]);
            command
                .args(&wrapper[1..])
                .arg(super::variant_exe()?)
                .args(["--variant", code, "--out"])
                .arg(clip_dir)
                .args(["--sizes", &format!("{}x{}:{}", size.width, size.height, size.format)])
                .args(["--codec", &args.codec, "--preset", &args.preset.to_string()])
                .args([
                    "--qp",
                    &args.qp.to_string(),
                    "--frames",
                    &frames.to_string(),
                    "--plugin",
                ])
                .arg(plugin);
            counts.push(run_counted(command, &cg, code)?);
        }
        let diff = counts[1]
            .checked_sub(counts[0])
            .ok_or_else(|| bench_error("plugin", format!("{code}: the longer run counted fewer instructions")))?;
        let value = diff as f64 / (runs[1].0 - runs[0].0) as f64;
        outln!("  {label}: {:>12.0} instructions per frame", value);
        per_frame.push(value);
    }
    for (name, builtin, loaded) in [
        ("grab loop", per_frame[0], per_frame[1]),
        ("recording", per_frame[2], per_frame[3]),
    ] {
        outln!(
            "  => {name}: plugin/built-in {:.4} ({:+.0} instructions per frame, {:+.3} %)",
            loaded / builtin,
            loaded - builtin,
            (loaded / builtin - 1.0) * 100.0
        );
    }
    Ok(())
}

/// One variant, in this process: the clip in `out` played through the camera until it ends.
pub(super) fn run_variant(
    args: &BenchArgs,
    settings: &EncoderSettings,
    code: &str,
    out: &Path,
) -> Result<(), BenchError> {
    let size = *args
        .sizes
        .first()
        .ok_or_else(|| BenchError::Argument("--variant needs one --sizes".into()))?;
    let clip = out.join(clip_name(size));
    let grab = code.ends_with("grab");
    let config = RawFileConfig {
        paced: false,
        looped: grab,
        ..RawFileConfig::new(&clip, size.width, size.height, size.format)
    };
    let camera: Box<dyn Camera> = if code.starts_with("raw-plugin") {
        let path = args
            .plugin
            .as_deref()
            .ok_or_else(|| BenchError::Argument(format!("--variant {code} needs --plugin")))?;
        let plugin = Plugin::load(path).map_err(|e| BenchError::Argument(format!("--plugin: {e}")))?;
        let backend = plugin
            .backend("rawfile")
            .ok_or_else(|| BenchError::Argument(format!("--plugin {}: no rawfile backend", path.display())))?;
        let table: toml::Table = [
            ("path".to_string(), toml::Value::String(clip.display().to_string())),
            ("paced".to_string(), toml::Value::Boolean(false)),
            ("loop".to_string(), toml::Value::Boolean(grab)),
        ]
        .into_iter()
        .collect();
        backend
            .configure(&BackendSettings::new(table))
            .map_err(|e| bench_error("plugin", e))?
            .camera()
    } else {
        config.camera()
    };
    let frames = if grab {
        grab_loop(camera, args.frames)?
    } else {
        record(camera, settings, out)?
    };
    if frames != args.frames {
        return Err(bench_error(code, format!("{frames} of {} frames", args.frames)));
    }
    Ok(())
}

/// Grabs `frames` frames (or until the stream ends); returns how many came.
fn grab_loop(mut camera: Box<dyn Camera>, frames: u64) -> Result<u64, BenchError> {
    let info = camera.open().map_err(|e| bench_error("camera", e))?;
    camera.start().map_err(|e| bench_error("camera", e))?;
    let mut buf = vec![0u8; info.frame_size()];
    for got in 0..frames {
        match camera.grab(&mut buf) {
            Ok(_) => {}
            Err(CameraError::EndOfStream) => return Ok(got),
            Err(e) => return Err(bench_error("camera", e)),
        }
    }
    Ok(frames)
}

/// Records the camera's stream into `out`; returns the frames saved.
fn record(mut camera: Box<dyn Camera>, settings: &EncoderSettings, out: &Path) -> Result<u64, BenchError> {
    camera.open().map_err(|e| bench_error("camera", e))?;
    let factory = FfmpegEncoderFactory::new(settings.clone(), out).map_err(|e| bench_error("encoder", e))?;
    let config = SystemConfig {
        overflow: axvs_core::OverflowPolicy::Block,
        ..SystemConfig::new(1, "plugin")
    };
    let mut system = VideoSystem::new(config, camera, Some(Arc::new(factory)), Arc::new(NullLogSink));
    system.start()?;
    for event in system.events().iter() {
        if matches!(event, SystemEvent::Ended { .. } | SystemEvent::Error { .. }) {
            break;
        }
    }
    let report = system.stop();
    report.result()?;
    Ok(report.status.saved)
}
