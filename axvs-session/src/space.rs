//! Free disk space: the rig's threshold, and the check before and while recording.
//!
//! Recording stops cleanly (files finalized) before a disk fills, as Motif does at 94 %: a full disk tears
//! the last fragment of a video and loses log entries.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;

/// The default threshold: 6 % of the disk free (Motif stops recording at 94 % full).
pub const DEFAULT_MIN_FREE_SPACE: MinFreeSpace = MinFreeSpace::Percent(6.0);

/// The least free space a disk holding recordings must keep: `"6%"` of the disk, or a size (`"500MB"`,
/// `"2GiB"`); `"0"` turns the guard off.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(try_from = "String")]
pub enum MinFreeSpace {
    /// A share of the disk's size, in percent.
    Percent(f64),
    /// A number of bytes.
    Bytes(u64),
}

impl Default for MinFreeSpace {
    fn default() -> Self {
        DEFAULT_MIN_FREE_SPACE
    }
}

/// The environment variable that sets the threshold for rigs that do not set `min_free_space` (a site's
/// default: a disk shared with other work, a test machine), in the rig's own syntax.
pub const MIN_FREE_SPACE_ENV: &str = "AXVS_MIN_FREE_SPACE";

impl MinFreeSpace {
    /// The threshold for a rig that sets none: [`MIN_FREE_SPACE_ENV`] when it is set, else
    /// [`DEFAULT_MIN_FREE_SPACE`]; a value that does not parse is an error naming the variable.
    pub fn site_default() -> Result<Self, String> {
        match std::env::var(MIN_FREE_SPACE_ENV) {
            Ok(text) => text
                .parse()
                .map_err(|e| format!("environment variable {MIN_FREE_SPACE_ENV}: {e}")),
            Err(std::env::VarError::NotPresent) => Ok(DEFAULT_MIN_FREE_SPACE),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(format!("environment variable {MIN_FREE_SPACE_ENV} is not UTF-8"))
            }
        }
    }

    /// The threshold in bytes on a disk of `total` bytes.
    pub fn bytes_of(self, total: u64) -> u64 {
        match self {
            MinFreeSpace::Percent(p) => (total as f64 * p / 100.0).ceil() as u64,
            MinFreeSpace::Bytes(b) => b,
        }
    }
}

impl fmt::Display for MinFreeSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MinFreeSpace::Percent(p) => write!(f, "{p}%"),
            MinFreeSpace::Bytes(b) => write!(f, "{}", megabytes(*b)),
        }
    }
}

impl FromStr for MinFreeSpace {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("min_free_space '{s}': give a share of the disk (\"6%\") or a size (\"500MB\", \"2GiB\")");
        let text = s.trim();
        if let Some(percent) = text.strip_suffix('%') {
            let p: f64 = percent.trim().parse().map_err(|_| bad())?;
            return if (0.0..100.0).contains(&p) {
                Ok(MinFreeSpace::Percent(p))
            } else {
                Err(format!(
                    "min_free_space '{s}': a share must be at least 0 % and below 100 %"
                ))
            };
        }
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text.len());
        let (number, unit) = text.split_at(split);
        let number: f64 = number.parse().map_err(|_| bad())?;
        let scale: f64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1.0,
            "kb" => 1e3,
            "mb" => 1e6,
            "gb" => 1e9,
            "tb" => 1e12,
            "kib" => 1024.0,
            "mib" => 1024.0 * 1024.0,
            "gib" => 1024.0 * 1024.0 * 1024.0,
            "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            _ => return Err(bad()),
        };
        Ok(MinFreeSpace::Bytes((number * scale).round() as u64))
    }
}

impl TryFrom<String> for MinFreeSpace {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// Free and total bytes of the file system holding a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiskSpace {
    /// Bytes an unprivileged process may still write.
    pub free: u64,
    /// Size of the file system.
    pub total: u64,
}

/// The space of the file system holding `path`, or the nearest folder above it that exists.
pub fn disk_space(path: &Path) -> std::io::Result<DiskSpace> {
    let existing = path.ancestors().find(|p| p.exists()).unwrap_or(Path::new("."));
    let stat = rustix::fs::statvfs(existing)?;
    Ok(DiskSpace {
        free: stat.f_bavail.saturating_mul(stat.f_frsize),
        total: stat.f_blocks.saturating_mul(stat.f_frsize),
    })
}

/// A disk below its threshold (or that will be within [`GUARD_LEAD`] at the rate it is filling).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LowSpace {
    /// The folder whose disk is low.
    pub dir: PathBuf,
    /// Its free bytes.
    pub free: u64,
    /// The threshold, in bytes.
    pub threshold: u64,
    /// The setting it comes from.
    pub setting: String,
    /// Bytes per second the disk was filling at when this was seen (0 when not measured).
    pub rate: u64,
}

impl fmt::Display for LowSpace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (dir, free, threshold) = (self.dir.display(), megabytes(self.free), megabytes(self.threshold));
        if self.rate > 0 && self.free >= self.threshold {
            write!(
                f,
                "{dir} has {free} free and fills at {}/s: within {} s it would fall below the {threshold} kept free",
                megabytes(self.rate),
                GUARD_LEAD.as_secs_f64()
            )?;
        } else {
            write!(f, "{dir} has {free} free, below the {threshold} kept free")?;
        }
        write!(f, " (min_free_space = \"{}\")", self.setting)
    }
}

/// How far ahead the guard looks while recording: a disk that would fall below its threshold within this
/// time, at the rate it is filling, stops the recording now, leaving room to finish every file.
pub const GUARD_LEAD: std::time::Duration = std::time::Duration::from_secs(1);

/// The free-space guard of a running session: checks the disks, and how fast they fill, so that a small
/// disk that fills within a second still stops cleanly.
#[derive(Debug)]
pub struct SpaceGuard {
    min: MinFreeSpace,
    /// Per disk: its recent (time, free bytes), the oldest first, over about [`RATE_WINDOW`].
    seen: Vec<std::collections::VecDeque<(std::time::Instant, u64)>>,
    /// Per disk: the fill rate used until one is measured (the rig's estimate).
    expected: Vec<f64>,
}

/// The span a disk's fill rate is measured over: longer than the files' flush interval (250 ms), whose
/// bursts would otherwise read as a faster rate.
pub const RATE_WINDOW: std::time::Duration = std::time::Duration::from_secs(1);

impl SpaceGuard {
    /// A guard keeping `min` free on each disk checked; `expected` is each disk's expected fill rate in
    /// bytes per second (the rig's estimate), used until the disk's own rate is measured.
    pub fn new(min: MinFreeSpace, expected: &[f64]) -> Self {
        SpaceGuard {
            min,
            seen: Vec::new(),
            expected: expected.to_vec(),
        }
    }

    /// Checks each of `dirs` (the same list every time); the first whose disk is, or within [`GUARD_LEAD`]
    /// would be, below the threshold is the error. A disk whose space cannot be read is skipped.
    pub fn check(&mut self, dirs: &[PathBuf]) -> Result<(), LowSpace> {
        self.seen.resize(dirs.len(), Default::default());
        self.expected.resize(dirs.len(), 0.0);
        let now = std::time::Instant::now();
        for (i, dir) in dirs.iter().enumerate() {
            let Ok(space) = disk_space(dir) else { continue };
            let threshold = self.min.bytes_of(space.total);
            if threshold == 0 {
                continue;
            }
            let seen = &mut self.seen[i];
            seen.push_back((now, space.free));
            while seen.len() > 2 && seen.get(1).is_some_and(|(t, _)| now.duration_since(*t) >= RATE_WINDOW) {
                seen.pop_front();
            }
            // Measured once half a window has passed; the estimate until then.
            let rate = match seen.front() {
                Some(&(then, free_then)) if now.duration_since(then) >= RATE_WINDOW / 2 => {
                    free_then.saturating_sub(space.free) as f64 / now.duration_since(then).as_secs_f64()
                }
                _ => self.expected[i],
            };
            let margin = (rate * GUARD_LEAD.as_secs_f64()) as u64;
            if space.free < threshold.saturating_add(margin) || space.free == 0 {
                return Err(LowSpace {
                    dir: dir.clone(),
                    free: space.free,
                    threshold,
                    setting: self.min.to_string(),
                    rate: rate as u64,
                });
            }
        }
        Ok(())
    }
}

/// Checks that each of `dirs` has more free space than `min` asks; the first that does not is the error.
/// A disk whose space cannot be read is not a reason to stop (the writes themselves will tell).
pub fn check_space(dirs: &[PathBuf], min: MinFreeSpace) -> Result<(), LowSpace> {
    for dir in dirs {
        if let Ok(space) = disk_space(dir) {
            let threshold = min.bytes_of(space.total);
            if space.free < threshold || (threshold > 0 && space.free == 0) {
                return Err(LowSpace {
                    dir: dir.clone(),
                    free: space.free,
                    threshold,
                    setting: min.to_string(),
                    rate: 0,
                });
            }
        }
    }
    Ok(())
}

/// `1234567` as `1.2 MB`; below 100 kB in kB, below 1 kB in bytes (never "0.0 MB" for a few kB).
pub fn megabytes(bytes: u64) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..100_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_looks_ahead_by_the_fill_rate() {
        let dir = tempfile::tempdir().expect("tempdir");
        let free = disk_space(dir.path()).expect("space").free as f64;
        let dirs = [dir.path().to_path_buf()];
        // A disk that would be below 1 B kept free within a second at twice its free space per second.
        let mut guard = SpaceGuard::new(MinFreeSpace::Bytes(1), &[free * 2.0]);
        let low = guard
            .check(&dirs)
            .expect_err("the expected rate fills it within a second");
        assert!(low.to_string().contains("fills at") && low.rate > 0, "{low}");
        let mut guard = SpaceGuard::new(MinFreeSpace::Bytes(1), &[0.0]);
        assert!(guard.check(&dirs).is_ok(), "no rate, room enough");
        let mut off = SpaceGuard::new(MinFreeSpace::Bytes(0), &[free * 10.0]);
        assert!(off.check(&dirs).is_ok(), "min_free_space = 0: the guard is off");
    }

    #[test]
    fn sizes_read_in_the_unit_that_shows_them() {
        assert_eq!(megabytes(0), "0 B");
        assert_eq!(megabytes(999), "999 B");
        assert_eq!(megabytes(12_345), "12.3 kB");
        assert_eq!(megabytes(252_000), "0.3 MB");
        assert_eq!(megabytes(3_000_000), "3.0 MB");
    }

    #[test]
    fn thresholds_parse_as_shares_or_sizes() {
        assert_eq!("6%".parse(), Ok(MinFreeSpace::Percent(6.0)));
        assert_eq!(" 2.5 % ".parse(), Ok(MinFreeSpace::Percent(2.5)));
        assert_eq!("500MB".parse(), Ok(MinFreeSpace::Bytes(500_000_000)));
        assert_eq!("1 GiB".parse(), Ok(MinFreeSpace::Bytes(1 << 30)));
        assert_eq!("0".parse(), Ok(MinFreeSpace::Bytes(0)));
        for bad in ["", "lots", "5 parsecs", "100%", "-1%", "MB"] {
            let err = bad.parse::<MinFreeSpace>().expect_err(bad);
            assert!(err.contains(&format!("'{bad}'")), "{err}");
        }
        assert_eq!(MinFreeSpace::Percent(6.0).bytes_of(1_000_000), 60_000);
        assert_eq!(MinFreeSpace::default(), DEFAULT_MIN_FREE_SPACE);
    }

    #[test]
    fn a_disk_below_the_threshold_is_named_with_its_figures() {
        let dir = tempfile::tempdir().expect("tempdir");
        let here = vec![dir.path().join("not/yet/made")];
        check_space(&here, MinFreeSpace::Bytes(0)).expect("no threshold");
        let err = check_space(&here, MinFreeSpace::Bytes(u64::MAX)).expect_err("no disk is that large");
        assert_eq!(err.dir, here[0]);
        assert!(err.to_string().contains("kept free (min_free_space = \""), "{err}");
        let space = disk_space(&here[0]).expect("space");
        assert!(space.free <= space.total && space.total > 0, "{space:?}");
    }
}
