//! Cameras of a rig across PCs on one time base: a collected session (`axvs collect`'s folder: each host's
//! session in `<host>/`, and the coordinator's index `<session>.rig.json`) read with each host's times moved
//! onto the coordinator's clock by the offset the coordinator measured, and how good that is.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::inputs::{self, CameraSeries};
use crate::LogFileError;

/// The suffix of a rig-across-PCs session's index, `<session>.rig.json`, which the coordinator writes.
pub const INDEX_SUFFIX: &str = ".rig.json";

/// What the stats read of the coordinator's index.
#[derive(Debug, Deserialize)]
struct Index {
    hosts: Vec<IndexHost>,
    local: Option<IndexLocal>,
}

#[derive(Debug, Deserialize)]
struct IndexHost {
    name: String,
    clock_at_start: Option<Offset>,
    clock_at_stop: Option<Offset>,
}

#[derive(Debug, Deserialize)]
struct Offset {
    offset_ns: i64,
    round_trip_ns: u64,
    host: HostState,
}

#[derive(Debug, Deserialize)]
struct HostState {
    synchronized: bool,
}

#[derive(Debug, Deserialize)]
struct IndexLocal {
    bags: Vec<PathBuf>,
}

/// How one host's times were put on the coordinator's clock.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct HostTimeBase {
    /// The host (`coordinator` for the coordinator's own cameras).
    pub host: String,
    /// Subtracted from its times: its clock minus the coordinator's, the mean of the offsets measured at
    /// the start and the stop, µs.
    pub offset_us: f64,
    /// How far that may be off: half the longest round trip of the measurements, plus half of how much the
    /// offset changed from start to stop, µs.
    pub uncertainty_us: f64,
    /// Whether the host's time daemon said its clock was synchronised, at both measurements.
    pub synchronized: bool,
}

/// The index in a collected session's folder, when `dir` is one.
pub fn index_in(dir: &Path) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    entries
        .flatten()
        .map(|e| e.path())
        .find(|p| p.is_file() && p.to_string_lossy().ends_with(INDEX_SUFFIX))
}

/// Every camera of the collected session in `dir` (whose index is `index`), on the coordinator's clock,
/// and how each host's times were moved.
pub fn load(dir: &Path, index: &Path) -> Result<(Vec<CameraSeries>, Vec<HostTimeBase>), LogFileError> {
    let text = std::fs::read_to_string(index).map_err(LogFileError::io(index))?;
    let parsed: Index = serde_json::from_str(&text)
        .map_err(|e| LogFileError::corrupt(index, format!("not a rig session index: {e}")))?;
    let mut cameras = Vec::new();
    let mut bases = Vec::new();
    for host in &parsed.hosts {
        let folder = dir.join(&host.name);
        if !folder.is_dir() {
            continue;
        }
        let measured: Vec<&Offset> = [&host.clock_at_start, &host.clock_at_stop]
            .into_iter()
            .flatten()
            .collect();
        let Some(first) = measured.first() else {
            continue;
        };
        let offsets: Vec<f64> = measured.iter().map(|o| o.offset_ns as f64 / 1e3).collect();
        let offset_us = offsets.iter().sum::<f64>() / offsets.len() as f64;
        let change = offsets.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            - offsets.iter().copied().fold(f64::INFINITY, f64::min);
        let round_trip = measured
            .iter()
            .map(|o| o.round_trip_ns)
            .max()
            .unwrap_or(first.round_trip_ns) as f64
            / 1e3;
        bases.push(HostTimeBase {
            host: host.name.clone(),
            offset_us,
            uncertainty_us: round_trip / 2.0 + change / 2.0,
            synchronized: measured.iter().all(|o| o.host.synchronized),
        });
        for mut series in inputs::load(&[folder])? {
            shift(&mut series, offset_us);
            cameras.push(series);
        }
    }
    // The coordinator's own cameras, on its clock, where its session still is.
    for bag in parsed.local.iter().flat_map(|l| l.bags.iter()).filter(|b| b.is_dir()) {
        if bases.iter().all(|b| b.host != "coordinator") {
            bases.push(HostTimeBase {
                host: "coordinator".into(),
                offset_us: 0.0,
                uncertainty_us: 0.0,
                synchronized: true,
            });
        }
        cameras.extend(inputs::load(std::slice::from_ref(bag))?);
    }
    Ok((cameras, bases))
}

/// Moves a camera's times by `-offset_us` (its host's clock onto the coordinator's).
fn shift(series: &mut CameraSeries, offset_us: f64) {
    let by = offset_us.round() as i64;
    let moved = |t: u64| t.saturating_add_signed(-by);
    series.times.iter_mut().for_each(|t| *t = moved(*t));
    series.mapped.iter_mut().flatten().for_each(|t| *t = moved(*t));
    series.onset_utc_us = series.onset_utc_us.map(moved);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hosts_times_move_by_its_mean_offset_and_its_uncertainty_is_said() {
        let mut series = CameraSeries {
            source_id: Some(1),
            name: None,
            file: PathBuf::new(),
            recording: PathBuf::new(),
            times: vec![1_000_000, 2_000_000],
            onset_utc_us: Some(900_000),
            device_ids: vec![None; 2],
            device_timestamps: vec![None; 2],
            mapped: vec![Some(999_000), None],
            runtime: None,
        };
        shift(&mut series, 1_500.4);
        assert_eq!(series.times, [998_500, 1_998_500]);
        assert_eq!(series.mapped, [Some(997_500), None]);
        assert_eq!(series.onset_utc_us, Some(898_500));
    }
}
