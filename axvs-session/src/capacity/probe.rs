//! One camera's frame path run for a moment, as its recording would run: test frames of its size and pixel
//! format (each copied, as a driver's frame is) through the bounded queue to its encoder (settings and
//! threads its own), file and timestamp log. Alone and flat out: what it costs per frame, and the highest
//! rate the path reaches alone. All at once, each paced near its limit: what sharing the cores adds.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axvs_core::{
    Camera, CameraError, CameraInfo, GrabInfo, OverflowPolicy, PixelFormat, SyntheticCamera, SyntheticConfig,
    SystemConfig, VideoSystem, SYNTHETIC_PERIOD,
};
use axvs_encode::{EncoderSettings, FfmpegEncoderFactory};
use axvs_log::FileLogSink;

use super::cpu::{task_ticks, used_between};
use super::CapacityError;

/// Time the path runs at least before the clock starts: the encoder fills its lookahead and frame threads.
const WARMUP: Duration = Duration::from_millis(300);
/// Frames every path saves before the clock starts (x264 holds up to about 20 before its first output:
/// until then frames go in faster than they cost), unless that takes longer than `MAX_WARMUP`.
const WARMUP_FRAMES: u64 = 30;
/// The longest warm-up.
const MAX_WARMUP: Duration = Duration::from_secs(3);
/// Test frames held in memory at most (the synthetic scene repeats after `SYNTHETIC_PERIOD`).
const MAX_HELD_BYTES: usize = 256 << 20;

/// What one camera's frame path costs on this machine.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, schemars::JsonSchema)]
pub struct EncoderCost {
    /// CPU seconds per frame: delivery, queue, encoder (all its threads), file and log.
    pub cpu_s_per_frame: f64,
    /// Frames per second the path reached alone, flat out.
    pub max_fps_alone: f64,
    /// Frames timed.
    pub frames: u64,
}

/// A frame path running flat out.
struct Running {
    system: VideoSystem,
    log: Arc<FileLogSink>,
}

impl Running {
    /// Starts the frame path of a camera delivering `info`'s frames, encoded with `settings` into `dir`,
    /// with a queue of `queue_depth`: at `pace` frames per second (at least 1), or as fast as the encoder
    /// takes them.
    fn start(
        info: &CameraInfo,
        settings: &EncoderSettings,
        queue_depth: usize,
        pace: Option<f64>,
        dir: &Path,
    ) -> Result<Running, CapacityError> {
        let camera = ReplayCamera {
            frames: test_frames(info)?,
            info: info.clone(),
            index: 0,
            period: pace.map(|fps| Duration::from_secs_f64(1.0 / fps)),
            started: None,
        };
        let log = Arc::new(FileLogSink::create(dir).map_err(|e| CapacityError::Path(e.to_string()))?);
        let factory = FfmpegEncoderFactory::new(settings.clone(), dir)?;
        let config = SystemConfig {
            queue_depth,
            overflow: OverflowPolicy::Block,
            ..SystemConfig::new(1, "capacity")
        };
        let mut system = VideoSystem::new(config, Box::new(camera), Some(Arc::new(factory)), log.clone());
        system.start().map_err(|e| CapacityError::Path(e.to_string()))?;
        Ok(Running { system, log })
    }

    fn saved(&self) -> u64 {
        self.system.status().saved
    }

    fn stop(mut self) -> Result<(), CapacityError> {
        let report = self.system.stop();
        let _ = self.log.close();
        report.result().map_err(|e| CapacityError::Path(e.to_string()))
    }
}

/// Frames each path saved and the CPU all of them used, over `time` after a warm-up, with all of `paths`
/// running at once.
fn run_timed(
    paths: Vec<Running>,
    time: Duration,
    before: HashMap<u32, u64>,
) -> Result<(Vec<u64>, Duration, Duration), CapacityError> {
    std::thread::sleep(WARMUP);
    let warming = Instant::now();
    while paths.iter().any(|p| p.saved() < WARMUP_FRAMES) && warming.elapsed() < MAX_WARMUP {
        std::thread::sleep(Duration::from_millis(20));
    }
    let warm = task_ticks("self");
    let start = Instant::now();
    let saved0: Vec<u64> = paths.iter().map(Running::saved).collect();
    std::thread::sleep(time);
    // Read while the paths run: their threads' ticks go with them.
    let saved1: Vec<u64> = paths.iter().map(Running::saved).collect();
    let (after, wall) = (task_ticks("self"), start.elapsed());
    for path in paths {
        path.stop()?;
    }
    // Threads born during the warm-up (the encoders') count from its end.
    let baseline = before.into_iter().chain(warm).collect();
    let frames = saved1.iter().zip(&saved0).map(|(b, a)| b.saturating_sub(*a)).collect();
    Ok((frames, used_between(&baseline, &after), wall))
}

/// Runs the frame path of a camera delivering `info`'s frames, encoded with `settings` into `dir`, for
/// about `time` after a warm-up, with a queue of `queue_depth`, alone; and measures it.
pub fn measure(
    info: &CameraInfo,
    settings: &EncoderSettings,
    queue_depth: usize,
    time: Duration,
    dir: &Path,
) -> Result<EncoderCost, CapacityError> {
    let before = task_ticks("self");
    let running = Running::start(info, settings, queue_depth, None, dir)?;
    let (frames, cpu, wall) = run_timed(vec![running], time, before)?;
    let frames = frames.first().copied().unwrap_or(0);
    if frames == 0 {
        return Err(CapacityError::Path(format!(
            "no frame was saved in {:.1} s: the encoder is too slow to measure this way",
            time.as_secs_f64()
        )));
    }
    Ok(EncoderCost {
        cpu_s_per_frame: cpu.as_secs_f64() / frames as f64,
        max_fps_alone: frames as f64 / wall.as_secs_f64(),
        frames,
    })
}

/// One camera's frame path in [`contention`]'s run.
pub struct Together<'a> {
    /// Its frames.
    pub info: &'a CameraInfo,
    /// Its encoder.
    pub settings: &'a EncoderSettings,
    /// Its queue depth.
    pub queue_depth: usize,
    /// The rate its frames are delivered at (`None`: as fast as its encoder takes them).
    pub fps: Option<f64>,
}

/// Runs every camera's frame path at once, each paced at its `fps`, for `time`, and returns how much more
/// CPU their frames took together than alone flat out (`alone`: each one's cost measured alone): the cost
/// of sharing the cores near their limit (caches, switches, threads waking for every frame), 1.0 when there
/// is none to pay.
pub fn contention(
    cameras: &[Together<'_>],
    alone: &[EncoderCost],
    time: Duration,
    dir: &Path,
) -> Result<f64, CapacityError> {
    let before = task_ticks("self");
    let mut paths = Vec::with_capacity(cameras.len());
    for (i, camera) in cameras.iter().enumerate() {
        paths.push(Running::start(
            camera.info,
            camera.settings,
            camera.queue_depth,
            camera.fps,
            &dir.join(format!("together-{i}")),
        )?);
    }
    let (frames, cpu, _) = run_timed(paths, time, before)?;
    let expected: f64 = frames
        .iter()
        .zip(alone)
        .map(|(f, c)| *f as f64 * c.cpu_s_per_frame)
        .sum();
    Ok(if expected > 0.0 {
        (cpu.as_secs_f64() / expected).max(1.0)
    } else {
        1.0
    })
}

/// A camera that delivers its test frames at a steady rate, or as fast as they are asked for, each copied
/// into the frame buffer as a driver's frame is. Behind its schedule (its encoder slower than the rate),
/// it delivers at once and skips nothing: the queue blocks instead.
struct ReplayCamera {
    frames: Vec<Vec<u8>>,
    info: CameraInfo,
    index: usize,
    period: Option<Duration>,
    started: Option<Instant>,
}

impl Camera for ReplayCamera {
    fn open(&mut self) -> Result<CameraInfo, CameraError> {
        Ok(self.info.clone())
    }

    fn start(&mut self) -> Result<(), CameraError> {
        self.started = Some(Instant::now());
        Ok(())
    }

    fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError> {
        if let (Some(period), Some(started)) = (self.period, self.started) {
            let due = started + period.mul_f64(self.index as f64);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
        }
        let frame = &self.frames[self.index % self.frames.len()];
        CameraError::check_buffer(buf, frame.len())?;
        buf.copy_from_slice(frame);
        self.index += 1;
        Ok(GrabInfo::default())
    }

    fn stop(&mut self) -> Result<(), CameraError> {
        Ok(())
    }
}

/// Frames of the synthetic scene in the camera's size and pixel format: the scene's luma for 1-byte
/// formats (mono, Bayer), its colour for 3-byte ones, its luma widened for 16-bit mono.
fn test_frames(info: &CameraInfo) -> Result<Vec<Vec<u8>>, CapacityError> {
    let bpp = info.pixel_format.bytes_per_pixel();
    let base = if bpp == 3 {
        PixelFormat::Bgr8
    } else {
        PixelFormat::Mono8
    };
    let mut camera = SyntheticCamera::new(SyntheticConfig {
        width: info.width,
        height: info.height,
        fps: info.fps,
        pixel_format: base,
        paced: false,
        frame_limit: None,
        ..SyntheticConfig::default()
    });
    camera.open().map_err(|e| CapacityError::Frames {
        what: format!("{}x{} {}", info.width, info.height, info.pixel_format),
        source: e,
    })?;
    let base_size = base.frame_size(info.width, info.height);
    let held = (MAX_HELD_BYTES / info.frame_size().max(1)).clamp(1, SYNTHETIC_PERIOD as usize);
    Ok((0..held as u64)
        .map(|i| {
            let mut frame = vec![0u8; base_size];
            camera.render(i, &mut frame);
            if bpp == 2 {
                frame.iter().flat_map(|v| (u16::from(*v) << 8).to_le_bytes()).collect()
            } else {
                frame
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replay(fps: f64) -> ReplayCamera {
        ReplayCamera {
            frames: vec![vec![7u8; 16], vec![9u8; 16]],
            info: CameraInfo {
                width: 4,
                height: 4,
                fps: 100.0,
                pixel_format: PixelFormat::Mono8,
                identity: Default::default(),
            },
            index: 0,
            period: Some(Duration::from_secs_f64(1.0 / fps)),
            started: None,
        }
    }

    #[test]
    fn a_paced_replay_never_delivers_a_frame_before_it_is_due() {
        let mut camera = replay(200.0);
        camera.start().expect("start");
        let start = Instant::now();
        let mut buf = vec![0u8; 16];
        for i in 0..11 {
            camera.grab(&mut buf).expect("grab");
            assert_eq!(buf[0], if i % 2 == 0 { 7 } else { 9 });
        }
        // Frame 10 is due 50 ms after the start.
        assert!(start.elapsed() >= Duration::from_millis(49), "{:?}", start.elapsed());
        assert!(matches!(
            camera.grab(&mut [0u8; 3]),
            Err(CameraError::BufferSize { expected: 16, given: 3 })
        ));
    }
}
