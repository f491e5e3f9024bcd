//! The OpenCV backend passes the conformance check every backend passes, on a live GStreamer test source.

use axvs_camera_opencv::{OpenCvCamera, OpenCvConfig, OpenCvSource};
use axvs_core::conformance::{check_camera, Expect};
use axvs_core::PixelFormat;

#[test]
fn a_live_gstreamer_source_conforms_in_colour_and_mono() {
    let pipeline = "videotestsrc is-live=true ! video/x-raw,format=BGR,width=160,height=120,framerate=60/1 ! appsink";
    for pixel_format in [PixelFormat::Bgr8, PixelFormat::Mono8] {
        let config = OpenCvConfig {
            pixel_format,
            ..OpenCvConfig::new(OpenCvSource::Pipeline(pipeline.into()))
        };
        check_camera(
            || Box::new(OpenCvCamera::new(config.clone())),
            Expect { frames: 5, ends: false },
        )
        .unwrap_or_else(|e| panic!("{pixel_format}: {e}"));
    }
}
