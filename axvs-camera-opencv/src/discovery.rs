//! Finding cameras OpenCV can open, bounded and fast.

use std::time::Instant;

use opencv::prelude::*;
use opencv::videoio;

/// One camera found by [`discover`].
#[derive(Debug, Clone, PartialEq)]
pub struct ProbedIndex {
    /// Index to open it with.
    pub index: i32,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Frame rate the device reports (0 if none).
    pub fps: f64,
}

/// Probes indices `0..max_index` and returns those that open and deliver a frame.
///
/// Stops after `miss_limit` consecutive misses; on Linux an index without a `/dev/video<N>` node is a miss
/// without opening anything. Of consecutive working indices with identical format, the second is kept only
/// if it can stream while the first is open (V4L2 exposes metadata "twin" nodes that cannot). OpenCV's own
/// log output is silenced.
pub fn discover(max_index: i32, miss_limit: u32) -> Vec<ProbedIndex> {
    crate::silence_opencv_logs();
    let started = Instant::now();
    let mut found: Vec<ProbedIndex> = Vec::new();
    let mut misses = 0;
    for index in 0..max_index {
        if misses >= miss_limit {
            break;
        }
        match probe(index) {
            Some(camera) => {
                misses = 0;
                let twin = found
                    .last()
                    .filter(|prev| prev.index == index - 1 && same_format(prev, &camera))
                    .is_some_and(|prev| !streams_beside(prev.index, index));
                if !twin {
                    found.push(camera);
                }
            }
            None => misses += 1,
        }
    }
    tracing::debug!("camera discovery took {:?}", started.elapsed());
    found
}

fn same_format(a: &ProbedIndex, b: &ProbedIndex) -> bool {
    (a.width, a.height, a.fps.round() as i64) == (b.width, b.height, b.fps.round() as i64)
}

fn device_node_exists(index: i32) -> bool {
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/dev/video{index}")).exists()
    } else {
        true
    }
}

fn probe(index: i32) -> Option<ProbedIndex> {
    if !device_node_exists(index) {
        return None;
    }
    let mut capture = videoio::VideoCapture::new(index, videoio::CAP_ANY).ok()?;
    if !capture.is_opened().unwrap_or(false) {
        return None;
    }
    let mut frame = Mat::default();
    if !capture.read(&mut frame).unwrap_or(false) || frame.empty() {
        return None;
    }
    Some(ProbedIndex {
        index,
        width: frame.cols() as u32,
        height: frame.rows() as u32,
        fps: capture.get(videoio::CAP_PROP_FPS).unwrap_or(0.0).max(0.0),
    })
}

/// True if `second` delivers a frame while `first` is open.
fn streams_beside(first: i32, second: i32) -> bool {
    let Ok(held) = videoio::VideoCapture::new(first, videoio::CAP_ANY) else {
        return true;
    };
    let result = probe(second).is_some();
    drop(held);
    result
}

/// The OpenCV this build links, and the GStreamer its video I/O was built with (`None` when it has none).
pub fn runtime_versions() -> (String, Option<String>) {
    let gstreamer = opencv::core::get_build_information().ok().and_then(|info| {
        info.lines()
            .map(str::trim)
            .find_map(|line| line.strip_prefix("GStreamer:"))
            .map(str::trim)
            .filter(|v| v.starts_with("YES"))
            .map(|v| v.trim_start_matches("YES").trim().trim_matches(['(', ')']).to_string())
    });
    (opencv::core::CV_VERSION.to_string(), gstreamer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_is_bounded_and_does_not_panic() {
        let started = Instant::now();
        let found = discover(100, 5);
        let nodes = std::fs::read_dir("/dev")
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().starts_with("video"))
                    .count()
            })
            .unwrap_or(0);
        // Without /dev/video nodes nothing is found; with cameras, each one found is a real device.
        if nodes == 0 {
            assert!(found.is_empty(), "cameras found without video nodes: {found:?}");
        }
        assert!(found.len() <= nodes, "{found:?} from {nodes} video nodes");
        assert!(found.iter().all(|c| c.width > 0 && c.height > 0), "{found:?}");
        assert!(started.elapsed().as_secs() < 30);
    }
}
