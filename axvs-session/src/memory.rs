//! The rig's worst-case memory against the machine's: refused with the figures before anything starts.
//!
//! Each camera allocates its frame buffers when it starts (queue depth plus a few, see
//! [`axvs_core::SystemConfig::frame_buffers`]); a queue that fills uses them all. A rig whose buffers do not
//! fit in the memory the machine has available would grow until the kernel kills it.

/// The share of the available memory the rig's frame buffers may take; the rest is for the encoders,
/// the system and everything else running.
pub const MAX_SHARE_OF_AVAILABLE: f64 = 0.8;

/// One camera's frame buffers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CameraMemory {
    /// How messages name the camera, e.g. `camera 3 'left'`.
    pub label: String,
    /// Frame buffers.
    pub buffers: usize,
    /// Bytes per frame.
    pub frame_bytes: usize,
}

impl CameraMemory {
    /// Bytes of all its buffers.
    pub fn bytes(&self) -> u64 {
        self.buffers as u64 * self.frame_bytes as u64
    }
}

/// Bytes of memory available to new allocations (`MemAvailable` in `/proc/meminfo`), when the system says.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// Refuses `cameras` whose buffers together exceed [`MAX_SHARE_OF_AVAILABLE`] of `available` bytes, with
/// the figures: the total, the largest cameras, and what to change.
pub fn check_memory(cameras: &[CameraMemory], available: u64) -> Result<(), String> {
    let total: u64 = cameras.iter().map(CameraMemory::bytes).sum();
    let allowed = (available as f64 * MAX_SHARE_OF_AVAILABLE) as u64;
    if total <= allowed {
        return Ok(());
    }
    let mut largest: Vec<&CameraMemory> = cameras.iter().collect();
    largest.sort_by_key(|c| std::cmp::Reverse(c.bytes()));
    let figures: Vec<String> = largest
        .iter()
        .take(3)
        .map(|c| {
            format!(
                "{}: {} buffers x {}",
                c.label,
                c.buffers,
                gigabytes(c.frame_bytes as u64)
            )
        })
        .collect();
    Err(format!(
        "the rig's frame buffers need up to {} ({}), but this machine has {} available (at most {:.0} % of it \
         may go to frame buffers); lower queue_depth or the frame size",
        gigabytes(total),
        figures.join(", "),
        gigabytes(available),
        MAX_SHARE_OF_AVAILABLE * 100.0
    ))
}

/// `1234567890` as `1.23 GB`, smaller sizes in MB.
fn gigabytes(bytes: u64) -> String {
    if bytes >= 1_000_000_000 {
        format!("{:.2} GB", bytes as f64 / 1e9)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn camera(label: &str, buffers: usize, frame_bytes: usize) -> CameraMemory {
        CameraMemory {
            label: label.into(),
            buffers,
            frame_bytes,
        }
    }

    #[test]
    fn a_rig_within_the_share_passes_and_one_beyond_is_refused_with_its_figures() {
        let rig = [
            camera("camera 1 'a'", 68, 1_000_000),
            camera("camera 2 'b'", 100_004, 24_883_200),
        ];
        check_memory(&rig[..1], 100_000_000).expect("68 MB of 100 MB");
        let err = check_memory(&rig[..1], 80_000_000).expect_err("68 MB is more than 80 % of 80 MB");
        assert!(
            err.contains("need up to 68.0 MB") && err.contains("80.0 MB available"),
            "{err}"
        );
        let err = check_memory(&rig, 16_000_000_000).expect_err("2.5 TB");
        assert!(
            err.starts_with(
                "the rig's frame buffers need up to 2488.49 GB (camera 2 'b': 100004 buffers x 24.9 MB, camera 1"
            ),
            "{err}"
        );
    }

    #[test]
    fn this_machine_says_how_much_memory_it_has() {
        let available = available_memory().expect("/proc/meminfo");
        assert!(available > 64 << 20, "{available}");
    }
}
