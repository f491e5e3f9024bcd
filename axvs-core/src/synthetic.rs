//! The built-in synthetic camera: works with no hardware, paced like a real camera or as fast as possible.
//!
//! Each frame is a window onto a textured scene that drifts along a smooth path (so an encoder does real
//! motion search), with the frame's sequence number written as 32 black/white cells in a band at the top, so
//! tests can check order and loss after decoding ([`decode_counter`]).

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::{Camera, CameraError, CameraIdentity, CameraInfo, GrabInfo, PixelFormat};

mod backend;
mod timing;
pub use backend::SyntheticBackend;
pub use timing::{ArrivalDelay, DeviceClock, FrameTiming, Timeline, DEFAULT_SEED};

/// Frame width when none is given.
pub const DEFAULT_WIDTH: u32 = 640;
/// Frame height when none is given.
pub const DEFAULT_HEIGHT: u32 = 480;
/// Frame rate when none is given.
pub const DEFAULT_FPS: f64 = 30.0;
/// Smallest frame the camera renders (its counter band needs the room).
pub const MIN_SIZE: (u32, u32) = (64, 32);

/// Settings of a [`SyntheticCamera`].
#[derive(Debug, Clone, PartialEq)]
pub struct SyntheticConfig {
    /// Frame width, at least 64.
    pub width: u32,
    /// Frame height, at least 32.
    pub height: u32,
    /// Frame rate; also the pacing rate when `paced`.
    pub fps: f64,
    /// Any format: mono16 uses the full 16-bit range (as every backend's mono16, see
    /// [`PixelFormat::Mono16`]), Bayer formats the colour scene's mosaic.
    pub pixel_format: PixelFormat,
    /// Deliver frames at `fps` (like a camera) or as fast as they are asked for (for benchmarks).
    pub paced: bool,
    /// End the stream ([`CameraError::EndOfStream`]) after this many frames; `None` runs forever.
    pub frame_limit: Option<u64>,
    /// The device clock that stamps each frame's exposure (a perfect one by default).
    pub clock: DeviceClock,
    /// How late paced frames reach the host after their exposure (on time by default).
    pub delay: ArrivalDelay,
    /// Seed of the delays.
    pub seed: u64,
    /// Expose on a process-wide simulated hardware trigger: paced cameras of the same rate with it expose
    /// at the same instants, whatever moment each started.
    pub triggered: bool,
}

impl Default for SyntheticConfig {
    fn default() -> Self {
        SyntheticConfig {
            width: DEFAULT_WIDTH,
            height: DEFAULT_HEIGHT,
            fps: DEFAULT_FPS,
            pixel_format: PixelFormat::Mono8,
            paced: true,
            frame_limit: None,
            clock: DeviceClock::default(),
            delay: ArrivalDelay::default(),
            seed: DEFAULT_SEED,
            triggered: false,
        }
    }
}

/// The instant the simulated trigger fired first: triggered cameras expose at whole periods after it.
fn trigger_epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Frames a paced camera holds for a late reader, as a camera driver's ring of buffers does: as many as
/// axvs' GenICam cameras are given by default ([`crate::DEFAULT_DRIVER_BUFFERS`]). A read up to this many
/// frame times late loses nothing; so a reading thread that a busy (or virtual) machine wakes a few
/// milliseconds late does not lose frames at high rates, as it would not with a real camera.
pub const SYNTHETIC_BUFFERS: u64 = crate::DEFAULT_DRIVER_BUFFERS as u64;

/// Pixels the scene extends beyond the frame on each side: the range of the drift.
const MARGIN: usize = 16;
/// The drift repeats every this many frames, so a benchmark can hold one period of frames in memory and
/// encode exactly what the camera would deliver.
pub const SYNTHETIC_PERIOD: u64 = 32;
const COUNTER_BITS: usize = 32;
const BIT_ON: u8 = 235;
const BIT_OFF: u8 = 20;

/// A camera that renders frames in memory.
pub struct SyntheticCamera {
    config: SyntheticConfig,
    info: Option<CameraInfo>,
    scene: Vec<u8>,
    scene_width: usize,
    /// The first exposure's instant, once started.
    started: Option<Instant>,
    /// The times of the frames to come.
    timeline: Timeline,
    /// The next frame's times, once drawn.
    pending: Option<FrameTiming>,
}

impl SyntheticCamera {
    /// A camera with these settings; nothing is rendered until `open`.
    pub fn new(config: SyntheticConfig) -> Self {
        SyntheticCamera {
            info: None,
            scene: Vec::new(),
            scene_width: 0,
            started: None,
            timeline: Self::timeline_of(&config),
            pending: None,
            config,
        }
    }

    fn timeline_of(config: &SyntheticConfig) -> Timeline {
        Timeline::new(config.fps, config.clock, config.delay, config.seed)
    }

    fn render_scene(&mut self) {
        let w = self.config.width as usize + 2 * MARGIN;
        let h = self.config.height as usize + 2 * MARGIN;
        let format = self.config.pixel_format;
        let bpp = format.bytes_per_pixel();
        let cols: Vec<f32> = (0..w).map(|x| (x as f32 * 0.031).sin() * 50.0).collect();
        let rows: Vec<f32> = (0..h).map(|y| (y as f32 * 0.047).cos() * 40.0).collect();
        let mut scene = vec![0u8; w * h * bpp];
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        for (y, row) in scene.chunks_exact_mut(w * bpp).enumerate() {
            for (x, px) in row.chunks_exact_mut(bpp).enumerate() {
                rng ^= rng << 13;
                rng ^= rng >> 7;
                rng ^= rng << 17;
                let noise = (rng % 13) as f32 - 6.0;
                let blob = if ((x / 48) + (y / 40)) % 3 == 0 { 25.0 } else { 0.0 };
                let luma = (128.0 + cols[x] + rows[y] + blob + noise).clamp(0.0, 255.0) as u8;
                let green = (128.0 + rows[y] + noise).clamp(0.0, 255.0) as u8;
                let red = (128.0 + cols[x] - noise).clamp(0.0, 255.0) as u8;
                put_pixel(format, px, (x, y), [luma, green, red], luma);
            }
        }
        self.scene = scene;
        self.scene_width = w;
    }

    /// Renders frame `index` of the sequence into `buf` (what `grab` delivers as that frame). The camera
    /// must be open.
    pub fn render(&self, index: u64, buf: &mut [u8]) {
        let bpp = self.config.pixel_format.bytes_per_pixel();
        let width = self.config.width as usize;
        let height = self.config.height as usize;
        let phase = (index % SYNTHETIC_PERIOD) as f32 / SYNTHETIC_PERIOD as f32 * std::f32::consts::TAU;
        let mut dx = (MARGIN as f32 * (1.0 + phase.sin())) as usize;
        let mut dy = (MARGIN as f32 * (1.0 + (2.0 * phase).cos())) as usize;
        if self.config.pixel_format.is_bayer() {
            // Whole mosaic cells, so that the colours stay where the pattern says.
            dx &= !1;
            dy &= !1;
        }
        let row_bytes = width * bpp;
        for (y, row) in buf.chunks_exact_mut(row_bytes).take(height).enumerate() {
            let start = ((y + dy) * self.scene_width + dx) * bpp;
            row.copy_from_slice(&self.scene[start..start + row_bytes]);
        }
        self.stamp(index, buf);
    }

    /// Writes frame `index`'s sequence number into `buf`, a frame rendered for any index of the same phase
    /// (`index % SYNTHETIC_PERIOD`): what a benchmark holding one period in memory does to deliver exactly
    /// the camera's frames. Touches only the counter band. The camera must be open.
    pub fn stamp(&self, index: u64, buf: &mut [u8]) {
        write_counter(
            buf,
            self.config.width as usize,
            self.config.height as usize,
            self.config.pixel_format,
            index as u32,
        );
    }
}

/// Rows of the counter band for a frame of `height` rows.
fn band_height(height: usize) -> usize {
    (height / 16).clamp(4, 32)
}

fn write_counter(buf: &mut [u8], width: usize, height: usize, format: PixelFormat, value: u32) {
    let bpp = format.bytes_per_pixel();
    let cell = width / COUNTER_BITS;
    let band = band_height(height);
    let fill = |pixels: &mut [u8], v: u8| {
        for (x, px) in pixels.chunks_exact_mut(bpp).enumerate() {
            // Grey in every format (a Bayer cell of equal samples is grey).
            put_pixel(format, px, (x, 0), [v; 3], v);
        }
    };
    for row in buf.chunks_exact_mut(width * bpp).take(band) {
        for bit in 0..COUNTER_BITS {
            let on = value >> (COUNTER_BITS - 1 - bit) & 1 == 1;
            fill(
                &mut row[bit * cell * bpp..(bit + 1) * cell * bpp],
                if on { BIT_ON } else { BIT_OFF },
            );
        }
        fill(&mut row[COUNTER_BITS * cell * bpp..], BIT_OFF);
    }
}

/// Writes one pixel of colour `bgr` (blue, green, red), or `luma` in a mono format, at (x, y) in `format`.
fn put_pixel(format: PixelFormat, px: &mut [u8], (x, y): (usize, usize), bgr: [u8; 3], luma: u8) {
    match format {
        PixelFormat::Mono8 => px[0] = luma,
        // The 8-bit value widened to the full 16-bit range (255 becomes 65535), as every mono16 is.
        PixelFormat::Mono16 => px.copy_from_slice(&(u16::from(luma) * 257).to_le_bytes()),
        PixelFormat::Bgr8 => px.copy_from_slice(&bgr),
        PixelFormat::Rgb8 => px.copy_from_slice(&[bgr[2], bgr[1], bgr[0]]),
        bayer => {
            let red = bayer.bayer_red().unwrap_or((0, 0));
            let at = (x % 2, y % 2);
            px[0] = if at == red {
                bgr[2]
            } else if at == (1 - red.0, 1 - red.1) {
                bgr[0]
            } else {
                bgr[1]
            };
        }
    }
}

/// Reads the sequence number a synthetic camera wrote into a frame, from its luma plane (`width` × `height`
/// bytes, e.g. decoded video converted to gray). Robust to lossy encoding at ordinary quality.
///
/// ```
/// use axvs_core::{decode_counter, Camera, SyntheticCamera, SyntheticConfig};
/// let mut cam = SyntheticCamera::new(SyntheticConfig { paced: false, ..Default::default() });
/// let info = cam.open().unwrap();
/// cam.start().unwrap();
/// let mut buf = vec![0; info.frame_size()];
/// cam.grab(&mut buf).unwrap();
/// cam.grab(&mut buf).unwrap();
/// assert_eq!(decode_counter(&buf, info.width as usize, info.height as usize), 1);
/// ```
pub fn decode_counter(luma: &[u8], width: usize, height: usize) -> u32 {
    let cell = width / COUNTER_BITS;
    let row = band_height(height) / 2;
    let mut value = 0u32;
    for bit in 0..COUNTER_BITS {
        let x = bit * cell + cell / 2;
        let on = luma.get(row * width + x).copied().unwrap_or(0) > 128;
        value = (value << 1) + u32::from(on);
    }
    value
}

impl Camera for SyntheticCamera {
    /// Live when paced and endless; a bounded or unpaced sequence is a replay, whose every frame matters.
    fn live(&self) -> bool {
        self.config.paced && self.config.frame_limit.is_none()
    }

    fn open(&mut self) -> Result<CameraInfo, CameraError> {
        if let Some(info) = &self.info {
            return Ok(info.clone());
        }
        let c = self.config.clone();
        if c.width < MIN_SIZE.0 || c.height < MIN_SIZE.1 {
            return Err(CameraError::Setting {
                setting: "width/height".into(),
                reason: format!(
                    "synthetic frames must be at least {}x{} pixels, {}x{} was asked",
                    MIN_SIZE.0, MIN_SIZE.1, c.width, c.height
                ),
            });
        }
        if !(c.fps.is_finite() && c.fps > 0.0) {
            return Err(CameraError::Setting {
                setting: "fps".into(),
                reason: format!("must be a positive number, {} was asked", c.fps),
            });
        }
        if let Some((key, reason)) = c.clock.invalid().or_else(|| c.delay.invalid()) {
            return Err(CameraError::Setting {
                setting: key.into(),
                reason,
            });
        }
        self.render_scene();
        let info = CameraInfo {
            width: c.width,
            height: c.height,
            fps: c.fps,
            pixel_format: c.pixel_format,
            identity: CameraIdentity {
                backend: "synthetic".into(),
                vendor: Some("axvs".into()),
                model: Some("synthetic".into()),
                serial: None,
                address: None,
            },
        };
        self.info = Some(info.clone());
        Ok(info)
    }

    fn start(&mut self) -> Result<(), CameraError> {
        if self.info.is_none() {
            return Err(CameraError::NotReady("start before open".into()));
        }
        let now = Instant::now();
        self.started = Some(if self.config.triggered && self.config.paced {
            // The trigger's next pulse: a whole number of periods after its first.
            let epoch = trigger_epoch();
            let period = 1.0 / self.config.fps;
            let pulses = (now.saturating_duration_since(epoch).as_secs_f64() / period).ceil();
            epoch + Duration::from_secs_f64(pulses * period)
        } else {
            now
        });
        self.timeline = Self::timeline_of(&self.config);
        self.pending = None;
        Ok(())
    }

    fn grab(&mut self, buf: &mut [u8]) -> Result<GrabInfo, CameraError> {
        let Some(started) = self.started else {
            return Err(CameraError::NotReady("grab before start".into()));
        };
        let frame_size = self
            .config
            .pixel_format
            .frame_size(self.config.width, self.config.height);
        CameraError::check_buffer(buf, frame_size)?;
        let mut lost_before = 0;
        let mut timing = self.pending.take().unwrap_or_else(|| self.timeline.next_frame());
        if self.config.paced {
            let arrival = started + Duration::from_nanos(timing.arrival_ns as u64);
            let now = Instant::now();
            match arrival.checked_duration_since(now) {
                Some(wait) => std::thread::sleep(wait),
                None => {
                    // Like a real camera's driver, it holds the last SYNTHETIC_BUFFERS frames taken: a read
                    // that late delivers the oldest of them; frames older than that were overwritten, lost.
                    let since = now.saturating_duration_since(started).as_secs_f64();
                    let newest = (since * self.config.fps) as u64;
                    let oldest_held = newest.saturating_sub(SYNTHETIC_BUFFERS - 1);
                    if oldest_held > timing.index {
                        lost_before = oldest_held - timing.index;
                        while timing.index < oldest_held {
                            timing = self.timeline.next_frame();
                        }
                    }
                }
            }
        }
        let index = timing.index;
        if self.config.frame_limit.is_some_and(|limit| index >= limit) {
            self.pending = Some(timing);
            return Err(CameraError::EndOfStream);
        }
        self.render(index, buf);
        Ok(GrabInfo {
            device_frame_id: Some(index),
            device_timestamp_ns: Some(timing.device_ns),
            lost_before,
        })
    }

    fn stop(&mut self) -> Result<(), CameraError> {
        self.started = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(config: SyntheticConfig) -> (SyntheticCamera, CameraInfo) {
        let mut cam = SyntheticCamera::new(config);
        let info = cam.open().expect("open");
        cam.start().expect("start");
        (cam, info)
    }

    #[test]
    fn every_pixel_format_renders_with_its_counter_readable() {
        for pixel_format in PixelFormat::ALL {
            let mut cam = SyntheticCamera::new(SyntheticConfig {
                width: 128,
                height: 64,
                pixel_format,
                paced: false,
                ..Default::default()
            });
            let info = cam.open().expect("open");
            assert_eq!(info.pixel_format, pixel_format);
            let mut buf = vec![0; info.frame_size()];
            cam.render(77, &mut buf);
            // One byte of grey per pixel: the first byte of each pixel, a 16-bit sample's top 8 bits.
            let luma: Vec<u8> = match pixel_format {
                PixelFormat::Mono16 => buf
                    .chunks_exact(2)
                    .map(|s| (u16::from_le_bytes([s[0], s[1]]) >> 8) as u8)
                    .collect(),
                _ => buf.iter().step_by(pixel_format.bytes_per_pixel()).copied().collect(),
            };
            assert_eq!(decode_counter(&luma, 128, 64), 77, "{pixel_format}");
            if pixel_format == PixelFormat::Mono16 {
                let max = buf.chunks_exact(2).map(|s| u16::from_le_bytes([s[0], s[1]])).max();
                let samples: Vec<u16> = buf.chunks_exact(2).map(|s| u16::from_le_bytes([s[0], s[1]])).collect();
                assert!(samples.iter().all(|v| v % 257 == 0), "full-range samples");
                assert!(max.is_some_and(|m| m > 4096), "full-range samples: {max:?}");
            }
        }
    }

    #[test]
    fn bayer_frames_are_the_colour_scenes_mosaic_whatever_the_drift() {
        let open = |pixel_format| {
            let mut cam = SyntheticCamera::new(SyntheticConfig {
                width: 128,
                height: 96,
                pixel_format,
                paced: false,
                ..Default::default()
            });
            cam.open().expect("open");
            cam
        };
        let colour = open(PixelFormat::Bgr8);
        // Each layout's red and blue sites, as (x % 2, y % 2): RGGB, BGGR, GRBG, GBRG.
        let layouts = [
            (PixelFormat::BayerRg8, (0, 0), (1, 1)),
            (PixelFormat::BayerBg8, (1, 1), (0, 0)),
            (PixelFormat::BayerGr8, (1, 0), (0, 1)),
            (PixelFormat::BayerGb8, (0, 1), (1, 0)),
        ];
        // Below the counter band; the two frames may differ by the odd pixel of drift the mosaic rounds
        // away, so compare averages.
        let rows = 40..96usize;
        let mean = |values: Vec<u8>| values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len() as f64;
        for (format, red_at, blue_at) in layouts {
            let mosaic = open(format);
            for index in [0, 5, 13] {
                let mut bgr = vec![0; 128 * 96 * 3];
                let mut raw = vec![0; 128 * 96];
                colour.render(index, &mut bgr);
                mosaic.render(index, &mut raw);
                let sites = |at: (usize, usize)| {
                    rows.clone()
                        .flat_map(|y| (0..128).map(move |x| (x, y)))
                        .filter(|&(x, y)| (x % 2, y % 2) == at)
                        .map(|(x, y)| raw[y * 128 + x])
                        .collect::<Vec<u8>>()
                };
                let channel = |c: usize| {
                    rows.clone()
                        .flat_map(|y| (0..128).map(move |x| (x, y)))
                        .map(|(x, y)| bgr[(y * 128 + x) * 3 + c])
                        .collect::<Vec<u8>>()
                };
                let (red_raw, red_bgr) = (mean(sites(red_at)), mean(channel(2)));
                let (blue_raw, blue_bgr) = (mean(sites(blue_at)), mean(channel(0)));
                assert!(
                    (red_raw - red_bgr).abs() < 4.0,
                    "{format} frame {index}: red {red_raw} vs {red_bgr}"
                );
                assert!(
                    (blue_raw - blue_bgr).abs() < 4.0,
                    "{format} frame {index}: blue {blue_raw} vs {blue_bgr}"
                );
            }
        }
    }

    #[test]
    fn counter_round_trips_in_mono_and_colour() {
        for pixel_format in [PixelFormat::Mono8, PixelFormat::Bgr8] {
            let (mut cam, info) = open(SyntheticConfig {
                width: 200,
                height: 100,
                pixel_format,
                paced: false,
                ..Default::default()
            });
            let mut buf = vec![0; info.frame_size()];
            for expected in 0..5u32 {
                cam.grab(&mut buf).expect("grab");
                let luma: Vec<u8> = buf.iter().step_by(pixel_format.bytes_per_pixel()).copied().collect();
                assert_eq!(decode_counter(&luma, 200, 100), expected);
            }
        }
    }

    #[test]
    fn frames_differ_from_one_to_the_next() {
        let (mut cam, info) = open(SyntheticConfig {
            paced: false,
            ..Default::default()
        });
        let mut a = vec![0; info.frame_size()];
        let mut b = vec![0; info.frame_size()];
        cam.grab(&mut a).expect("grab");
        cam.grab(&mut b).expect("grab");
        let band = band_height(480) * 640;
        assert_ne!(a[band..], b[band..]);
    }

    #[test]
    fn a_frame_limit_ends_the_stream() {
        let (mut cam, info) = open(SyntheticConfig {
            paced: false,
            frame_limit: Some(2),
            ..Default::default()
        });
        let mut buf = vec![0; info.frame_size()];
        assert!(cam.grab(&mut buf).is_ok() && cam.grab(&mut buf).is_ok());
        assert_eq!(cam.grab(&mut buf), Err(CameraError::EndOfStream));
    }

    #[test]
    fn only_a_paced_endless_camera_is_live() {
        let live = |paced, frame_limit| {
            SyntheticCamera::new(SyntheticConfig {
                paced,
                frame_limit,
                ..Default::default()
            })
            .live()
        };
        assert!(live(true, None));
        assert!(!live(true, Some(10)), "a bounded sequence is a replay");
        assert!(!live(false, None), "an unpaced one too");
        assert!(!live(false, Some(10)));
    }

    #[test]
    fn rejects_bad_settings() {
        for config in [
            SyntheticConfig {
                width: 10,
                ..Default::default()
            },
            SyntheticConfig {
                fps: 0.0,
                ..Default::default()
            },
        ] {
            assert!(SyntheticCamera::new(config).open().is_err());
        }
    }

    #[test]
    fn the_drift_repeats_every_period_and_moves_within_it() {
        for pixel_format in [PixelFormat::Mono8, PixelFormat::Bgr8] {
            let (cam, info) = open(SyntheticConfig {
                width: 96,
                height: 64,
                pixel_format,
                paced: false,
                ..Default::default()
            });
            let band = band_height(64) * 96 * pixel_format.bytes_per_pixel();
            let frame = |index: u64| {
                let mut buf = vec![0; info.frame_size()];
                cam.render(index, &mut buf);
                buf
            };
            for index in [0, 5, 17, 31] {
                let (now, again) = (frame(index), frame(index + SYNTHETIC_PERIOD));
                assert_eq!(
                    now[band..],
                    again[band..],
                    "{pixel_format}: frame {index} and one period later"
                );
                assert_ne!(now[..band], again[..band], "the counters differ");
                assert_ne!(
                    now[band..],
                    frame(index + 1)[band..],
                    "{pixel_format}: frame {index} moved"
                );
            }
            // A textured scene, not a flat field: many distinct values in one frame.
            let distinct: std::collections::HashSet<u8> = frame(3)[band..].iter().copied().collect();
            assert!(
                distinct.len() > 40,
                "{pixel_format}: {} distinct values",
                distinct.len()
            );
        }
    }

    #[test]
    fn a_paced_camera_counts_the_frames_it_could_not_deliver() {
        let before_start = Instant::now();
        let (mut cam, info) = open(SyntheticConfig {
            width: 64,
            height: 32,
            fps: 1000.0,
            paced: true,
            ..Default::default()
        });
        let started = Instant::now();
        let mut buf = vec![0; info.frame_size()];
        // On a loaded machine the first frames may come late too: those losses count in the numbering.
        let mut delivered = 0;
        for _ in 0..20 {
            delivered += 1 + cam.grab(&mut buf).expect("grab").lost_before;
        }
        std::thread::sleep(Duration::from_millis(50));
        let before_grab = started.elapsed();
        let late = cam.grab(&mut buf).expect("grab");
        let after_grab = before_start.elapsed();
        // At 1000 fps a frame is due every ms: the frames due while nobody read are lost but for the
        // SYNTHETIC_BUFFERS newest, which the camera held; the oldest of those comes now.
        let due_by_now = started.elapsed().as_millis() as u64 + 1;
        assert!(
            late.lost_before + SYNTHETIC_BUFFERS >= 40,
            "about 50 frame times passed: {late:?}"
        );
        assert!(
            delivered + late.lost_before + SYNTHETIC_BUFFERS <= due_by_now + 1,
            "{due_by_now} frames were due: {late:?}"
        );
        let index = delivered + late.lost_before;
        assert_eq!(
            decode_counter(&buf, 64, 32) as u64,
            index,
            "the frame delivered is the oldest held, its number counting the lost ones"
        );
        assert_eq!(late.device_frame_id, Some(index));
        // Exactly SYNTHETIC_BUFFERS frames held: the oldest delivered is that many below the newest taken,
        // whose number lies between the frame times passed before the grab and after it (counted from a
        // moment before the camera started, so an upper bound).
        let newest = index + SYNTHETIC_BUFFERS - 1;
        let (low, high) = (before_grab.as_millis() as u64, after_grab.as_millis() as u64);
        assert!(
            (low..=high).contains(&newest),
            "newest frame {newest}, not within {low}..={high}"
        );
        // The held ones follow, numbered on (their time passed: no waiting for it).
        let held = cam.grab(&mut buf).expect("grab held");
        assert_eq!((held.lost_before, held.device_frame_id), (0, Some(index + 1)));
        assert_eq!(
            late.device_timestamp_ns,
            Some(index * 1_000_000),
            "its time at 1000 fps"
        );
    }

    #[test]
    fn grab_and_start_out_of_order_are_not_ready() {
        let mut cam = SyntheticCamera::new(SyntheticConfig::default());
        assert!(matches!(cam.start(), Err(CameraError::NotReady(_))));
        let info = cam.open().expect("open");
        assert_eq!(cam.open().expect("open twice"), info);
        let mut buf = vec![0; info.frame_size()];
        assert!(matches!(cam.grab(&mut buf), Err(CameraError::NotReady(_))));
    }

    #[test]
    fn the_counter_band_is_the_top_sixteenth_of_the_frame_within_4_to_32_rows() {
        for (height, band) in [(480usize, 30usize), (64, 4), (1080, 32), (200, 12)] {
            let (cam, info) = open(SyntheticConfig {
                width: 64,
                height: height as u32,
                paced: false,
                ..Default::default()
            });
            let mut buf = vec![0; info.frame_size()];
            cam.render(0x5555_5555, &mut buf);
            let counter_only = |row: usize| {
                buf[row * 64..(row + 1) * 64]
                    .iter()
                    .all(|&v| v == BIT_ON || v == BIT_OFF)
            };
            assert!(
                (0..band).all(counter_only),
                "height {height}: rows 0..{band} hold the counter"
            );
            assert!(!counter_only(band), "height {height}: row {band} is the scene");
            assert_eq!(decode_counter(&buf, 64, height), 0x5555_5555);
        }
    }

    #[test]
    fn counters_round_trip_at_any_width() {
        for (width, pixel_format) in [
            (64u32, PixelFormat::Mono8),
            (200, PixelFormat::Bgr8),
            (333, PixelFormat::Mono8),
        ] {
            let (cam, info) = open(SyntheticConfig {
                width,
                height: 48,
                pixel_format,
                paced: false,
                ..Default::default()
            });
            let mut buf = vec![0; info.frame_size()];
            for value in [0u32, 1, 0x8000_0000, 0xDEAD_BEEF, 0x5555_5555, u32::MAX] {
                cam.render(value as u64, &mut buf);
                let luma: Vec<u8> = buf.iter().step_by(pixel_format.bytes_per_pixel()).copied().collect();
                assert_eq!(decode_counter(&luma, width as usize, 48), value, "width {width}");
            }
        }
    }

    #[test]
    fn a_stopped_camera_restarts_from_its_first_frame() {
        let (mut cam, info) = open(SyntheticConfig {
            width: 64,
            height: 32,
            paced: false,
            ..Default::default()
        });
        let mut buf = vec![0; info.frame_size()];
        cam.grab(&mut buf).expect("grab");
        cam.grab(&mut buf).expect("grab");
        cam.stop().expect("stop");
        assert!(
            matches!(cam.grab(&mut buf), Err(CameraError::NotReady(_))),
            "no frames after stop"
        );
        cam.start().expect("restart");
        assert_eq!(cam.grab(&mut buf).expect("grab").device_frame_id, Some(0));
        assert_eq!(decode_counter(&buf, 64, 32), 0);
    }

    #[test]
    fn the_counter_is_read_at_each_cells_centre_so_blurred_edges_do_not_matter() {
        let (width, height) = (200usize, 200usize);
        let (cam, info) = open(SyntheticConfig {
            width: width as u32,
            height: height as u32,
            paced: false,
            ..Default::default()
        });
        let mut buf = vec![0; info.frame_size()];
        let value = 0x0F0F_3C3Cu32;
        cam.render(u64::from(value), &mut buf);
        // What lossy encoding does at the band's and the cells' edges, exaggerated: inverted there.
        let (band, cell) = (band_height(height), width / COUNTER_BITS);
        let invert = |v: u8| if v == BIT_ON { BIT_OFF } else { BIT_ON };
        for y in 0..band {
            for x in 0..COUNTER_BITS * cell {
                let edge = y == 0 || y + 1 == band || x % cell == 0 || x % cell == cell - 1;
                if edge {
                    buf[y * width + x] = invert(buf[y * width + x]);
                }
            }
        }
        assert_eq!(decode_counter(&buf, width, height), value);
    }
}
