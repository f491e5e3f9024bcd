//! The opencv plugin as `axvs` loads it: the library cargo built, through the ABI; the conformance check every
//! backend passes, on a live GStreamer test source; the libraries it names for a session's provenance.

use axvs_plugin::axvs_core::conformance::Expect;
use axvs_plugin::testing::Harness;

#[test]
fn the_built_plugin_conforms_through_the_abi_and_names_its_libraries() {
    let harness = Harness::for_package(env!("CARGO_PKG_NAME")).expect("load the built plugin");
    assert_eq!(harness.info().backends, ["opencv"]);
    let pipeline = "videotestsrc is-live=true ! video/x-raw,format=BGR,width=160,height=120,framerate=60/1 ! appsink";
    for pixel_format in ["bgr8", "mono8"] {
        harness
            .conformance(
                "opencv",
                &format!("pipeline = \"{pipeline}\"\npixel_format = \"{pixel_format}\""),
                Expect { frames: 5, ends: false },
            )
            .unwrap_or_else(|e| panic!("{pixel_format}: {e}"));
    }
    let libraries = harness.backend("opencv").expect("backend").libraries();
    let names: Vec<&str> = libraries.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        ["OpenCV", "GStreamer"],
        "Debian's OpenCV reads GStreamer pipelines"
    );
    assert!(libraries[0].1.starts_with('4'), "{libraries:?}");
    // What the backend refuses comes back through the ABI as the built-in said it.
    let e = harness
        .configure("opencv", "index = 0\nurl = \"rtsp://x\"")
        .expect_err("two sources");
    assert!(e.to_string().contains("exactly one of"), "{e}");
}
