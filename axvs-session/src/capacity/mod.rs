//! Capacity before recording: each camera's frames encoded for a moment on this machine, with its size,
//! pixel format and encoder settings (its thread budget included), and whether the rig as a whole will keep
//! up. Used by `axvs check RIG --capacity`, the MCP server's `check_rig_capacity` and `axvs-bench capacity`.
//!
//! The model: camera i needs `cpu_i × fps_i` cores (its encoder's CPU seconds per frame, measured alone
//! flat out, then charged what running every camera at once near the limit adds, times its rate). The rig
//! keeps up while the cameras' needs together fit in the cores, and each encoder alone reaches its camera's
//! rate (x264's lookahead is serial: one camera cannot use every core). The headroom is how far every
//! camera's rate could grow before one of the two gives; when the cores give, the scheduler splits them
//! evenly among the encoders' threads, so the cameras needing the most CPU per encoder thread drop first.

pub mod cpu;
mod probe;

use std::time::Duration;

use axvs_core::CameraInfo;
use serde::Serialize;

pub use probe::{measure, EncoderCost};

use crate::rig::Rig;

/// How long each camera's encoder is timed by default (after a warm-up).
pub const DEFAULT_PROBE_TIME: Duration = Duration::from_secs(2);
/// How close to the limit the costs alone predict the cameras run when measured together.
const PACE: f64 = 0.9;

/// Why capacity could not be measured.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CapacityError {
    /// A camera could not be opened to learn its frames.
    #[error("camera {id} '{name}': cannot open it to learn its frames: {source}")]
    Camera {
        /// Source id.
        id: u8,
        /// Name.
        name: String,
        /// Why.
        source: axvs_core::CameraError,
    },
    /// Test frames of that size and format cannot be made.
    #[error("cannot make test frames of {what}: {source}")]
    Frames {
        /// Size and format.
        what: String,
        /// Why.
        source: axvs_core::CameraError,
    },
    /// The encoder failed.
    #[error(transparent)]
    Encode(#[from] axvs_encode::EncodeError),
    /// No temporary directory for the test files.
    #[error("temporary directory for the test files: {0}")]
    TempDir(#[source] std::io::Error),
    /// The frame path could not run.
    #[error("running the frame path: {0}")]
    Path(String),
}

/// One camera's load.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CameraLoad {
    /// Source id.
    pub id: u8,
    /// Name.
    pub name: String,
    /// `WIDTHxHEIGHT FORMAT @ FPS`.
    pub frames: String,
    /// The camera's rate.
    pub fps: f64,
    /// Encoder and settings, e.g. `libx264 preset 1 qp 15 yuv420p`.
    pub encoder: String,
    /// Encoder threads (`None`: FFmpeg's choice for the whole machine).
    pub threads: Option<u32>,
    /// What its frame path costs (CPU per frame with the rig's contention charged).
    pub cost: EncoderCost,
    /// Cores it needs at its rate.
    pub cores_needed: f64,
    /// How far its rate could grow before it drops (1.0: exactly at its limit).
    pub headroom: f64,
}

/// Whether a rig will keep up on this machine.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CapacityReport {
    /// The cameras, first to drop first.
    pub cameras: Vec<CameraLoad>,
    /// Cores this process may use.
    pub cores_available: usize,
    /// Cores the CPU encoders need together at the cameras' rates.
    pub cores_needed: f64,
    /// How far every camera's rate could grow together before the first drops (below 1: it drops now).
    pub headroom: f64,
    /// The headroom is at least 1.
    pub keeps_up: bool,
    /// What gives first: `"cores"` or `"camera N's encoder alone"`.
    pub bound: String,
    /// How much more CPU a frame took with every CPU camera's path running at once, each paced near its
    /// limit, than alone flat out (1.0: no cost to sharing, or one camera); the cameras' CPU per frame
    /// includes it.
    pub contention: f64,
    /// What the figures leave out.
    pub note: String,
}

/// What the model needs of one camera.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Demand {
    /// The camera's rate.
    pub fps: f64,
    /// Its encoder's cost.
    pub cost: EncoderCost,
    /// Its encoder's threads (FFmpeg's choice counts as the machine's cores).
    pub threads: u32,
    /// Whether it runs on the CPU (NVENC's work is the GPU's).
    pub on_cpu: bool,
}

impl Demand {
    /// Cores the camera needs at its rate: CPU per frame times frames per second (none for NVENC).
    pub fn cores_needed(&self) -> f64 {
        if self.on_cpu {
            self.cost.cpu_s_per_frame * self.fps
        } else {
            0.0
        }
    }
}

/// The prediction for a set of cameras.
#[derive(Debug, Clone, PartialEq)]
pub struct Prediction {
    /// Cores needed at the asked rates.
    pub cores_needed: f64,
    /// How far all rates could grow together.
    pub headroom: f64,
    /// Each camera's own headroom, in the demands' order.
    pub each: Vec<f64>,
    /// The camera whose encoder alone bounds the rig, when the cores do not.
    pub bound_by: Option<usize>,
}

/// The model (see the module's documentation) for `demands` on `cores` cores.
pub fn predict(demands: &[Demand], cores: usize) -> Prediction {
    let cores = cores.max(1) as f64;
    let cores_needed: f64 = demands.iter().map(Demand::cores_needed).sum();
    let alone = |d: &Demand| d.cost.max_fps_alone / d.fps;
    let by_cores = if cores_needed > 0.0 {
        cores / cores_needed
    } else {
        f64::INFINITY
    };
    let (bound_by, by_camera) = demands
        .iter()
        .enumerate()
        .map(|(i, d)| (i, alone(d)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or((None, f64::INFINITY), |(i, h)| (Some(i), h));
    let headroom = by_cores.min(by_camera);
    // Past the cores' limit each encoder thread gets an even slice: a camera's headroom is the cores over
    // the need of a rig whose every camera needed what it needs per thread.
    let threads: f64 = demands
        .iter()
        .filter(|d| d.on_cpu)
        .map(|d| f64::from(d.threads.max(1)))
        .sum();
    let each = demands
        .iter()
        .map(|d| {
            let per_thread = d.cores_needed() / f64::from(d.threads.max(1));
            let fair = if per_thread > 0.0 {
                cores / (per_thread * threads)
            } else {
                f64::INFINITY
            };
            alone(d).min(fair.max(by_cores))
        })
        .collect();
    Prediction {
        cores_needed,
        headroom,
        each,
        bound_by: (by_camera < by_cores).then_some(bound_by).flatten(),
    }
}

/// One camera of a rig, as the capacity check sees it.
pub struct Probe<'a> {
    /// Source id.
    pub id: u8,
    /// Name.
    pub name: &'a str,
    /// Its frames.
    pub info: CameraInfo,
    /// Its encoder.
    pub settings: &'a axvs_encode::EncoderSettings,
    /// Its queue depth.
    pub queue_depth: usize,
}

/// Measures every camera's encoder for `time` and predicts whether they keep up together.
pub fn assess(probes: &[Probe<'_>], time: Duration) -> Result<CapacityReport, CapacityError> {
    let dir = tempfile::tempdir().map_err(CapacityError::TempDir)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut costs = Vec::with_capacity(probes.len());
    for (i, p) in probes.iter().enumerate() {
        let dir = dir.path().join(i.to_string());
        costs.push(measure(&p.info, p.settings, p.queue_depth, time, &dir)?);
    }
    let demands = |costs: &[EncoderCost]| -> Vec<Demand> {
        probes
            .iter()
            .zip(costs)
            .map(|(p, cost)| Demand {
                fps: p.info.fps,
                cost: *cost,
                threads: p.settings.threads.filter(|t| *t > 0).unwrap_or(cores as u32),
                on_cpu: p.settings.on_cpu(),
            })
            .collect()
    };
    // Near the cores' limit the paths share them, and a frame costs more than alone flat out (caches,
    // switches, threads waking for every frame): measured with every CPU camera running at once, each paced
    // just under the rate the costs alone allow it, and charged to every camera's CPU per frame.
    let cpu_cameras: Vec<usize> = (0..probes.len()).filter(|i| probes[*i].settings.on_cpu()).collect();
    let contention = if cpu_cameras.len() > 1 {
        let first = predict(&demands(&costs), cores);
        let together: Vec<_> = cpu_cameras
            .iter()
            .map(|i| probe::Together {
                info: &probes[*i].info,
                settings: probes[*i].settings,
                queue_depth: probes[*i].queue_depth,
                // Flat out should the first estimate be no rate at all.
                fps: Some(probes[*i].info.fps * first.headroom * PACE).filter(|f| f.is_finite() && *f >= 1.0),
            })
            .collect();
        let alone: Vec<EncoderCost> = cpu_cameras.iter().map(|i| costs[*i]).collect();
        probe::contention(&together, &alone, time, dir.path())?
    } else {
        1.0
    };
    for i in cpu_cameras {
        costs[i].cpu_s_per_frame *= contention;
    }
    let demands = demands(&costs);
    let prediction = predict(&demands, cores);
    let mut cameras: Vec<CameraLoad> = probes
        .iter()
        .zip(&demands)
        .zip(&prediction.each)
        .map(|((p, d), headroom)| CameraLoad {
            id: p.id,
            name: p.name.to_string(),
            frames: format!(
                "{}x{} {} @ {} fps",
                p.info.width, p.info.height, p.info.pixel_format, p.info.fps
            ),
            fps: p.info.fps,
            encoder: format!(
                "{} preset {} qp {} {}",
                p.settings.encoder_name().unwrap_or("?"),
                p.settings.preset,
                p.settings.qp.get(),
                p.settings.pixel_format
            ),
            threads: p.settings.threads,
            cost: d.cost,
            cores_needed: d.cores_needed(),
            headroom: *headroom,
        })
        .collect();
    let bound = match prediction.bound_by {
        Some(i) => format!("camera {}'s encoder alone", probes[i].id),
        None => "cores".to_string(),
    };
    cameras.sort_by(|a, b| a.headroom.total_cmp(&b.headroom));
    Ok(CapacityReport {
        cameras,
        cores_available: cores,
        cores_needed: prediction.cores_needed,
        headroom: prediction.headroom,
        keeps_up: prediction.headroom >= 1.0,
        bound,
        contention,
        note: "measured on the synthetic scene; a noisy sensor costs the encoder more, and the cameras' own \
               drivers (decoding, network) are not counted"
            .into(),
    })
}

/// Opens each camera of `rig` to learn its frames (size, format, rate), closes it, then [`assess`]es them.
pub fn assess_rig(rig: &Rig, time: Duration) -> Result<CapacityReport, CapacityError> {
    let mut infos = Vec::with_capacity(rig.cameras.len());
    for cam in &rig.cameras {
        let mut camera = cam.camera.camera();
        let info = camera.open().map_err(|source| CapacityError::Camera {
            id: cam.id,
            name: cam.name.clone(),
            source,
        })?;
        camera.close();
        infos.push(info);
    }
    let probes: Vec<Probe<'_>> = rig
        .cameras
        .iter()
        .zip(infos)
        .map(|(cam, info)| Probe {
            id: cam.id,
            name: &cam.name,
            info,
            settings: &cam.encoder,
            queue_depth: cam.queue_depth,
        })
        .collect();
    assess(&probes, time)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demand(fps: f64, cpu_ms: f64, max_fps: f64, threads: u32) -> Demand {
        Demand {
            fps,
            cost: EncoderCost {
                cpu_s_per_frame: cpu_ms / 1e3,
                max_fps_alone: max_fps,
                frames: 100,
            },
            threads,
            on_cpu: true,
        }
    }

    #[test]
    fn the_cores_bound_a_rig_of_many_cameras() {
        // 4 cameras at 30 fps, 10 ms of CPU a frame: 1.2 cores of 2; each alone could do 150 fps.
        let p = predict(&[demand(30.0, 10.0, 150.0, 1); 4], 2);
        assert!((p.cores_needed - 1.2).abs() < 1e-9, "{p:?}");
        assert!((p.headroom - 2.0 / 1.2).abs() < 1e-9, "{p:?}");
        assert_eq!(p.bound_by, None);
    }

    #[test]
    fn one_camera_is_bound_by_its_encoder_alone() {
        // Half a core at 30 fps, but the encoder alone reaches only 45 fps (its serial lookahead).
        let p = predict(&[demand(30.0, 16.0, 45.0, 3)], 2);
        assert!((p.headroom - 1.5).abs() < 1e-9, "{p:?}");
        assert_eq!(p.bound_by, Some(0));
    }

    #[test]
    fn the_camera_needing_most_per_thread_drops_first() {
        let cams = [
            demand(30.0, 20.0, 200.0, 1),
            demand(30.0, 5.0, 400.0, 1),
            demand(60.0, 20.0, 200.0, 1),
        ];
        let p = predict(&cams, 2);
        // 0.6 + 0.15 + 1.2 = 1.95 cores of 2: just keeps up.
        assert!(p.headroom > 1.0 && p.headroom < 1.03, "{p:?}");
        assert!(p.each[2] < p.each[0] && p.each[0] < p.each[1], "{:?}", p.each);
    }

    #[test]
    fn gpu_encoders_need_no_cores() {
        let mut gpu = demand(30.0, 20.0, 500.0, 1);
        gpu.on_cpu = false;
        let p = predict(&[gpu, demand(30.0, 10.0, 150.0, 1)], 2);
        assert!((p.cores_needed - 0.3).abs() < 1e-9, "{p:?}");
    }
}
