//! The alternatives a user would pick, fed as axvs is fed: per camera, a paced synthetic camera whose
//! frames go through a bounded queue (a frame that finds it full is lost, as in axvs) to a writer thread
//! that hands them to the `ffmpeg` CLI's standard input (the original's command line) or to a GStreamer
//! pipeline's `appsrc` (through OpenCV's GStreamer writer).

use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axvs_core::{Camera, SyntheticCamera, SyntheticConfig};
use axvs_encode::EncoderSettings;
use crossbeam_channel::{bounded, TrySendError};

use super::{Counts, Trial, QUEUE_DEPTH};
use crate::BenchError;
use crate::{bench_error, BenchSize};

/// x264's default keyframe interval, frames.
#[cfg(feature = "opencv")]
const X264_DEFAULT_KEYINT: u32 = 250;

/// Where a camera's frames go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// `ffmpeg -f rawvideo ... -i pipe:` with the original's options.
    Ffmpeg,
    /// `appsrc ! videoconvert ! x264enc ! mp4mux ! filesink`.
    Gstreamer,
}

/// Refuses early when GStreamer's encoder or muxer is missing (or OpenCV was built without the feature).
pub fn check_gstreamer() -> Result<(), BenchError> {
    #[cfg(feature = "opencv")]
    {
        for element in ["x264enc", "mp4mux", "videoconvert", "appsrc"] {
            let found = Command::new("gst-inspect-1.0")
                .arg(element)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if !found {
                return Err(BenchError::Argument(format!(
                    "the gstreamer tool needs the GStreamer element {element} (Debian: gstreamer1.0-plugins-ugly \
                     for x264enc, -good for mp4mux, -base for the others; gst-inspect-1.0 in gstreamer1.0-tools)"
                )));
            }
        }
        Ok(())
    }
    #[cfg(not(feature = "opencv"))]
    Err(BenchError::Argument(
        "the gstreamer tool feeds appsrc through OpenCV: build axvs with its opencv feature".into(),
    ))
}

/// Runs the trial's cameras into `sink`, and counts.
pub fn run(sink: Sink, trial: &Trial<'_>) -> Result<Counts, BenchError> {
    let Trial {
        settings,
        size,
        cameras,
        rate,
        time,
        out,
    } = *trial;
    let stop = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::with_capacity(cameras);
    for i in 0..cameras {
        let writer = Writer::open(sink, settings, size, rate, &out.join(format!("{:03}.mp4", i + 1)))?;
        let stop = stop.clone();
        handles.push(std::thread::spawn(move || camera(writer, size, rate, &stop)));
    }
    std::thread::sleep(time);
    stop.store(true, Ordering::Relaxed);
    let mut total = Counts::default();
    for handle in handles {
        let counts = handle
            .join()
            .map_err(|_| bench_error("trial", "a camera thread panicked"))??;
        total.acquired += counts.acquired;
        total.saved += counts.saved;
        total.lost += counts.lost;
        total.camera_lost += counts.camera_lost;
    }
    Ok(total)
}

/// One camera: grabs at its pace into a bounded queue, which a writer thread empties into the sink.
fn camera(mut writer: Writer, size: BenchSize, rate: f64, stop: &AtomicBool) -> Result<Counts, BenchError> {
    let mut camera = SyntheticCamera::new(SyntheticConfig {
        width: size.width,
        height: size.height,
        fps: rate,
        pixel_format: size.format,
        paced: true,
        frame_limit: None,
        ..SyntheticConfig::default()
    });
    let info = camera.open().map_err(|e| bench_error("camera", e))?;
    // Buffers circulate: free ones come back from the writer, so the queue and its frames stay bounded.
    let (queued, frames) = bounded::<Vec<u8>>(QUEUE_DEPTH);
    let (recycle, free) = bounded::<Vec<u8>>(QUEUE_DEPTH + 2);
    let recycle_dropped = recycle.clone();
    for _ in 0..QUEUE_DEPTH + 2 {
        let _ = recycle.try_send(vec![0u8; info.frame_size()]);
    }
    let consumer = std::thread::spawn(move || -> Result<u64, BenchError> {
        let mut saved = 0;
        for frame in frames.iter() {
            writer.write(&frame)?;
            saved += 1;
            let _ = recycle.try_send(frame);
        }
        writer.finish()?;
        Ok(saved)
    });
    camera.start().map_err(|e| bench_error("camera", e))?;
    let mut counts = Counts::default();
    while !stop.load(Ordering::Relaxed) {
        let mut buffer = free.recv().map_err(|_| bench_error("trial", "the writer stopped"))?;
        let grabbed = camera.grab(&mut buffer).map_err(|e| bench_error("camera", e))?;
        counts.acquired += 1;
        counts.lost += grabbed.lost_before;
        counts.camera_lost += grabbed.lost_before;
        match queued.try_send(buffer) {
            Ok(()) => {}
            Err(TrySendError::Full(buffer)) => {
                // Dropped, as axvs drops the newest frame: its buffer goes back to the free ones.
                counts.lost += 1;
                let _ = recycle_dropped.try_send(buffer);
            }
            Err(TrySendError::Disconnected(_)) => return Err(bench_error("trial", "the writer stopped")),
        }
    }
    drop(queued);
    counts.saved = consumer
        .join()
        .map_err(|_| bench_error("trial", "a writer thread panicked"))??;
    Ok(counts)
}

/// A camera's encoder: an `ffmpeg` process or a GStreamer pipeline.
enum Writer {
    Ffmpeg {
        child: Child,
        stdin: Option<ChildStdin>,
    },
    #[cfg(feature = "opencv")]
    Gstreamer {
        writer: opencv::videoio::VideoWriter,
        width: i32,
        height: i32,
        typ: i32,
    },
}

impl Writer {
    fn open(
        sink: Sink,
        settings: &EncoderSettings,
        size: BenchSize,
        rate: f64,
        path: &Path,
    ) -> Result<Writer, BenchError> {
        match sink {
            Sink::Ffmpeg => {
                let mut command = Command::new("ffmpeg");
                command.args(super::super::compare::original_command_line(
                    settings, size, rate, false,
                ));
                let mut child = command
                    .arg(path)
                    .stdin(Stdio::piped())
                    .stdout(Stdio::null())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .map_err(|e| bench_error("ffmpeg CLI (is ffmpeg installed?)", e))?;
                let stdin = child.stdin.take();
                Ok(Writer::Ffmpeg { child, stdin })
            }
            #[cfg(feature = "opencv")]
            Sink::Gstreamer => gstreamer(settings, size, rate, path),
            #[cfg(not(feature = "opencv"))]
            Sink::Gstreamer => {
                let _ = (settings, size, rate, path);
                check_gstreamer().map(|()| unreachable!("checked above"))
            }
        }
    }

    fn write(&mut self, frame: &[u8]) -> Result<(), BenchError> {
        match self {
            Writer::Ffmpeg { stdin, .. } => stdin
                .as_mut()
                .ok_or_else(|| bench_error("ffmpeg CLI", "closed"))?
                .write_all(frame)
                .map_err(|e| bench_error("ffmpeg CLI pipe", e)),
            #[cfg(feature = "opencv")]
            Writer::Gstreamer {
                writer,
                width,
                height,
                typ,
            } => {
                use opencv::prelude::*;
                // SAFETY: the Mat borrows `frame`, which holds `height` rows of the type's pixels, and is
                // dropped before it.
                let mat = unsafe {
                    Mat::new_rows_cols_with_data_unsafe_def(
                        *height,
                        *width,
                        *typ,
                        frame.as_ptr() as *mut std::ffi::c_void,
                    )
                }
                .map_err(|e| bench_error("GStreamer frame", e))?;
                writer.write(&mat).map_err(|e| bench_error("GStreamer appsrc", e))
            }
        }
    }

    fn finish(self) -> Result<(), BenchError> {
        match self {
            Writer::Ffmpeg { mut child, stdin } => {
                drop(stdin);
                let status = child.wait().map_err(|e| bench_error("ffmpeg CLI", e))?;
                if status.success() {
                    Ok(())
                } else {
                    Err(bench_error("ffmpeg CLI", format!("exited with {status}")))
                }
            }
            #[cfg(feature = "opencv")]
            Writer::Gstreamer { mut writer, .. } => {
                use opencv::prelude::*;
                writer.release().map_err(|e| bench_error("GStreamer", e))
            }
        }
    }
}

/// The GStreamer pipeline a user would write for the same work: x264 with the same preset and constant QP
/// (x264enc applies only the properties given over the preset), muxed to MP4.
#[cfg(feature = "opencv")]
fn gstreamer(settings: &EncoderSettings, size: BenchSize, rate: f64, path: &Path) -> Result<Writer, BenchError> {
    use opencv::prelude::*;
    let mono = size.format == axvs_core::PixelFormat::Mono8;
    let mut x264 = format!(
        "x264enc speed-preset={} pass=quant quantizer={}",
        settings.preset.cpu_name(),
        settings.qp.get()
    );
    // x264's own keyframe interval (250 frames) unless one is given: x264enc's "automatic" is 10 s.
    x264 += &format!(" key-int-max={}", settings.gop(rate).unwrap_or(X264_DEFAULT_KEYINT));
    let pipeline = format!(
        "appsrc ! videoconvert ! video/x-raw,format=I420 ! {x264} ! mp4mux ! filesink location={}",
        path.display()
    );
    let writer = opencv::videoio::VideoWriter::new_with_backend(
        &pipeline,
        opencv::videoio::CAP_GSTREAMER,
        0,
        rate,
        opencv::core::Size::new(size.width as i32, size.height as i32),
        !mono,
    )
    .map_err(|e| bench_error("GStreamer pipeline", e))?;
    if !writer.is_opened().map_err(|e| bench_error("GStreamer pipeline", e))? {
        return Err(bench_error(
            "GStreamer pipeline",
            format!("OpenCV could not open '{pipeline}'"),
        ));
    }
    Ok(Writer::Gstreamer {
        writer,
        width: size.width as i32,
        height: size.height as i32,
        typ: if mono {
            opencv::core::CV_8UC1
        } else {
            opencv::core::CV_8UC3
        },
    })
}
