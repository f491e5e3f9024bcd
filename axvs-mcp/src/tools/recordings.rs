//! Recordings on disk: manifests, sessions under a directory, videos, timestamps.

use std::path::{Path, PathBuf};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::Reply;
use crate::args::{tool_error, ToolError};
use crate::paths::PathPolicy;

/// Arguments of `read_camera_manifest`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestArgs {
    /// A `camera_manifest.yaml`, or the directory that holds it.
    #[schemars(length(min = 1))]
    pub manifest_path: String,
}

/// One source of a manifest.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ManifestEntry {
    /// Source id.
    pub id: u8,
    /// Camera name.
    pub name: String,
}

/// What `read_camera_manifest` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ManifestRead {
    /// The manifest file.
    pub manifest_path: PathBuf,
    /// Its sources.
    pub sources: Vec<ManifestEntry>,
    /// How many.
    pub total_sources: usize,
}

/// `read_camera_manifest`.
pub fn read_camera_manifest(paths: &PathPolicy, args: ManifestArgs) -> Reply<ManifestRead> {
    let mut path = paths.resolve("manifest_path", &args.manifest_path)?;
    if path.is_dir() {
        path = path.join(axvs_log::manifest::MANIFEST_FILE);
    }
    let manifest = axvs_log::manifest::read(&path).map_err(|e| tool_error!("argument `manifest_path`: {e}"))?;
    let sources: Vec<ManifestEntry> = manifest
        .sources
        .into_iter()
        .map(|s| ManifestEntry { id: s.id, name: s.name })
        .collect();
    Ok((
        format!("{}: {} source(s)", path.display(), sources.len()),
        ManifestRead {
            manifest_path: path,
            total_sources: sources.len(),
            sources,
        },
    ))
}

/// Arguments of `find_recordings`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FindArgs {
    /// Where to search (recursively).
    #[schemars(length(min = 1))]
    pub root_directory: String,
    /// Only this source id.
    #[schemars(range(min = 0, max = 255))]
    pub source_id: Option<u8>,
    /// Only cameras whose name contains this.
    pub name: Option<String>,
    /// Directory levels to descend at most (default 8).
    #[schemars(range(min = 1, max = 64))]
    pub max_depth: Option<u32>,
}

/// One camera of a recording.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RecordedCamera {
    /// Source id.
    pub source_id: u8,
    /// Camera name.
    pub name: String,
    /// Its raw log, when present.
    pub log: Option<PathBuf>,
    /// Its archive (`<id>_log.npz`), when present.
    pub archive: Option<PathBuf>,
    /// Its video files, run by run and segment by segment.
    pub videos: Vec<PathBuf>,
}

/// One recording: a directory with a camera manifest.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Recording {
    /// The directory of the logs (the session directory unless the rig had a `log_dir`).
    pub log_directory: PathBuf,
    /// Its manifest.
    pub manifest: PathBuf,
    /// Its cameras.
    pub cameras: Vec<RecordedCamera>,
}

/// What `find_recordings` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RecordingsFound {
    /// Every recording found.
    pub recordings: Vec<Recording>,
    /// How many recordings.
    pub total_recordings: usize,
    /// How many cameras in all.
    pub total_cameras: usize,
    /// Manifests that could not be read, with why.
    pub unreadable: Vec<String>,
}

/// `find_recordings`: every directory under the root that holds a camera manifest, with its cameras' logs,
/// archives and videos.
pub fn find_recordings(paths: &PathPolicy, args: FindArgs) -> Reply<RecordingsFound> {
    let root = paths.resolve("root_directory", &args.root_directory)?;
    if !root.is_dir() {
        return Err(tool_error!(
            "argument `root_directory`: {} is not a directory",
            root.display()
        ));
    }
    let mut manifests = Vec::new();
    collect_manifests(&root, args.max_depth.unwrap_or(8), &mut manifests);
    manifests.sort();
    let mut found = RecordingsFound {
        recordings: Vec::new(),
        total_recordings: 0,
        total_cameras: 0,
        unreadable: Vec::new(),
    };
    for manifest in manifests {
        let dir = manifest.parent().map(Path::to_path_buf).unwrap_or_default();
        let read = match axvs_log::manifest::read(&manifest) {
            Ok(read) => read,
            Err(e) => {
                found.unreadable.push(e.to_string());
                continue;
            }
        };
        let cameras: Vec<RecordedCamera> = read
            .sources
            .into_iter()
            .filter(|s| args.source_id.is_none_or(|id| id == s.id))
            .filter(|s| args.name.as_deref().is_none_or(|n| s.name.contains(n)))
            .map(|s| {
                let log = dir.join(axvs_log::file::log_file_name(s.id));
                let archive = dir.join(axvs_log::npz::archive_name(s.id));
                let videos = (1..)
                    .map(|run| axvs_encode::run_files(&dir, s.id, run))
                    .take_while(|files| !files.is_empty())
                    .flatten()
                    .collect();
                RecordedCamera {
                    source_id: s.id,
                    name: s.name,
                    log: log.exists().then_some(log),
                    archive: archive.exists().then_some(archive),
                    videos,
                }
            })
            .collect();
        if cameras.is_empty() {
            continue;
        }
        found.total_cameras += cameras.len();
        found.recordings.push(Recording {
            log_directory: dir,
            manifest,
            cameras,
        });
    }
    found.total_recordings = found.recordings.len();
    Ok((
        format!(
            "{} recording(s), {} camera(s) under {}",
            found.total_recordings,
            found.total_cameras,
            root.display()
        ),
        found,
    ))
}

/// Every camera manifest under `dir`, `depth` levels down at most; symbolic links are not followed.
fn collect_manifests(dir: &Path, depth: u32, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        let path = entry.path();
        if kind.is_dir() && depth > 0 {
            collect_manifests(&path, depth - 1, out);
        } else if kind.is_file() && entry.file_name() == axvs_log::manifest::MANIFEST_FILE {
            out.push(path);
        }
    }
}

/// Arguments of `validate_video_file`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VideoArgs {
    /// The video file (MP4, MOV or MKV).
    #[schemars(length(min = 1))]
    pub video_file: String,
}

/// What `validate_video_file` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct VideoReport {
    /// The file.
    pub file: PathBuf,
    /// True when it holds a readable video stream.
    pub valid: bool,
    /// Codec short name.
    pub codec: String,
    /// Codec long name.
    pub codec_long_name: String,
    /// Frame width.
    pub width: u32,
    /// Frame height.
    pub height: u32,
    /// Pixel format.
    pub pixel_format: String,
    /// Container format.
    pub container: String,
    /// Frames, counted packet by packet.
    pub frame_count: u64,
    /// Packets cut short at the end (a killed recording).
    pub torn_packets: u64,
    /// Seconds from the first frame to the end of the last.
    pub duration_seconds: f64,
    /// Mean frames per second.
    pub mean_frame_rate: f64,
    /// Mean bits per second.
    pub bit_rate_bps: u64,
    /// Bytes on disk.
    pub file_size_bytes: u64,
}

/// `validate_video_file`: codec, size, frames and duration, through FFmpeg's libraries.
pub fn validate_video_file(paths: &PathPolicy, args: VideoArgs) -> Reply<VideoReport> {
    let file = paths.resolve("video_file", &args.video_file)?;
    if !file.is_file() {
        return Err(tool_error!("argument `video_file`: {} is not a file", file.display()));
    }
    let info = axvs_encode::video_info(&file).map_err(|e| tool_error!("argument `video_file`: {e}"))?;
    let report = VideoReport {
        file,
        valid: true,
        codec: info.codec,
        codec_long_name: info.codec_long_name,
        width: info.width,
        height: info.height,
        pixel_format: info.pixel_format,
        container: info.container,
        frame_count: info.frames,
        torn_packets: info.torn,
        duration_seconds: (info.duration_s * 1e6).round() / 1e6,
        mean_frame_rate: info.mean_fps,
        bit_rate_bps: info.bit_rate,
        file_size_bytes: info.bytes,
    };
    Ok((
        format!(
            "{}: {} {}x{} {}, {} frames, {:.3} s",
            report.file.display(),
            report.codec,
            report.width,
            report.height,
            report.pixel_format,
            report.frame_count,
            report.duration_seconds
        ),
        report,
    ))
}

/// Arguments of `extract_timestamps`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TimestampsArgs {
    /// A raw log (`.axvslog`) or an archive (`<id>_log.npz`, also the original's).
    #[schemars(length(min = 1))]
    pub log_file: String,
    /// Also write the times here: `.csv` (column `frame_time_us`) or `.npy` (uint64); run n > 1 of a
    /// restarted camera goes to `<stem>-n.<ext>`. Never overwritten.
    pub output_file: Option<String>,
    /// Return at most this many times (from the start) in the result (default 0: none).
    #[schemars(range(min = 0, max = 100000))]
    pub include_times: Option<u32>,
}

/// One run of a camera (a restart begins a new one).
#[derive(Debug, Serialize, JsonSchema)]
pub struct TimestampRun {
    /// Frames.
    pub frames: usize,
    /// First frame's UTC time, µs since the epoch.
    pub first_us: Option<u64>,
    /// Last frame's UTC time, µs since the epoch.
    pub last_us: Option<u64>,
    /// The file written, when asked.
    pub output: Option<PathBuf>,
    /// The first times, when asked.
    pub times_us: Vec<u64>,
}

/// What `extract_timestamps` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct TimestampsExtracted {
    /// The log or archive read.
    pub log_file: PathBuf,
    /// Its source id.
    pub source_id: u8,
    /// Frames in all runs.
    pub total_frames: usize,
    /// Each run.
    pub runs: Vec<TimestampRun>,
}

/// `extract_timestamps`: every saved frame's absolute time (µs since the UNIX epoch) from a log or archive.
pub fn extract_timestamps(paths: &PathPolicy, args: TimestampsArgs) -> Reply<TimestampsExtracted> {
    let input = paths.resolve("log_file", &args.log_file)?;
    let output = args
        .output_file
        .as_deref()
        .map(|o| paths.resolve("output_file", o))
        .transpose()?;
    let write = match output.as_ref().map(|o| o.extension().and_then(|e| e.to_str())) {
        None => None,
        Some(Some("csv")) => {
            Some(axvs_log::timestamps::write_csv as fn(&[u64], &Path) -> Result<(), axvs_log::LogFileError>)
        }
        Some(Some("npy")) => {
            Some(axvs_log::timestamps::write_npy as fn(&[u64], &Path) -> Result<(), axvs_log::LogFileError>)
        }
        Some(_) => return Err(tool_error!("argument `output_file`: must end in .csv or .npy")),
    };
    let bad = |e: axvs_log::LogFileError| tool_error!("argument `log_file`: {e}");
    let entries = axvs_log::read_any(&input).map_err(bad)?;
    let source_id = axvs_log::single_source(&entries, &input).map_err(bad)?;
    let runs = axvs_log::timestamps::frame_times_by_run(&entries).map_err(bad)?;
    let keep = args.include_times.unwrap_or(0) as usize;
    let mut extracted = TimestampsExtracted {
        log_file: input,
        source_id,
        total_frames: runs.iter().map(Vec::len).sum(),
        runs: Vec::new(),
    };
    for (i, times) in runs.iter().enumerate() {
        let out = output.as_ref().map(|o| match i {
            0 => o.clone(),
            n => {
                let stem = o.file_stem().and_then(|s| s.to_str()).unwrap_or("timestamps");
                let ext = o.extension().and_then(|e| e.to_str()).unwrap_or("csv");
                o.with_file_name(format!("{stem}-{}.{ext}", n + 1))
            }
        });
        if let (Some(write), Some(out)) = (write, &out) {
            write(times, out).map_err(|e| tool_error!("argument `output_file`: {e}"))?;
        }
        extracted.runs.push(TimestampRun {
            frames: times.len(),
            first_us: times.first().copied(),
            last_us: times.last().copied(),
            output: out,
            times_us: times.iter().take(keep).copied().collect(),
        });
    }
    Ok((
        format!(
            "source {source_id}: {} frame times in {} run(s)",
            extracted.total_frames,
            extracted.runs.len()
        ),
        extracted,
    ))
}

/// Arguments of `assemble_log_archives`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AssembleArgs {
    /// The directory of a recording's logs.
    #[schemars(length(min = 1))]
    pub log_directory: String,
    /// The original deleted its per-entry files once archived; axvs keeps every raw log (accepted, ignored).
    #[serde(default = "yes")]
    pub remove_sources: bool,
    /// Accepted for the original's callers: every archive axvs writes is already checked against its video.
    #[serde(default)]
    pub verify_integrity: bool,
}

fn yes() -> bool {
    true
}

/// What `assemble_log_archives` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Assembled {
    /// `assembled`.
    pub status: String,
    /// The directory.
    pub directory: PathBuf,
    /// The archives in it (`<id>_log.npz`).
    pub archives: Vec<String>,
    /// Their source ids, as text, sorted.
    pub source_ids: Vec<String>,
    /// How many archives.
    pub archive_count: usize,
}

/// `assemble_log_archives`: the original's step after a recording. axvs writes each camera's archive when
/// it stops, from a log that agrees with its video; this checks that every log has one, and says to run
/// `axvs recover` for a run that did not finish.
pub fn assemble_log_archives(paths: &PathPolicy, args: AssembleArgs) -> Reply<Assembled> {
    let dir = paths.resolve("log_directory", &args.log_directory)?;
    if !dir.is_dir() {
        return Err(tool_error!(
            "argument `log_directory`: {} is not a directory",
            dir.display()
        ));
    }
    let unarchived = axvs_log::truth::unarchived_logs(&dir).map_err(|e| tool_error!("{e}"))?;
    if !unarchived.is_empty() {
        let names: Vec<_> = unarchived
            .iter()
            .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .collect();
        return Err(tool_error!(
            "{}: {} without an archive: the recording did not finish; run `axvs recover {}` to reconcile each log \
             with its video and write its archive",
            dir.display(),
            names.join(", "),
            dir.display()
        ));
    }
    let mut ids: Vec<u8> = std::fs::read_dir(&dir)
        .map_err(|e| tool_error!("{}: {e}", dir.display()))?
        .flatten()
        .filter_map(|e| {
            let name = e.file_name();
            let name = name.to_str()?;
            name.strip_suffix("_log.npz")?.parse().ok()
        })
        .collect();
    ids.sort_unstable();
    if ids.is_empty() {
        let mut below = Vec::new();
        collect_manifests(&dir, 8, &mut below);
        return Err(tool_error!(
            "{}: no camera logs here{}",
            dir.display(),
            if below.is_empty() {
                String::new()
            } else {
                format!(" (recordings below it: {})", below.len())
            }
        ));
    }
    let archives: Vec<String> = ids.iter().map(|&id| axvs_log::npz::archive_name(id)).collect();
    Ok((
        format!("{} archive(s) in {}", archives.len(), dir.display()),
        Assembled {
            status: "assembled".into(),
            directory: dir,
            archive_count: archives.len(),
            source_ids: ids.iter().map(u8::to_string).collect(),
            archives,
        },
    ))
}

/// Arguments of `write_camera_manifest`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ManifestWriteArgs {
    /// The directory of a recording's logs (it must exist).
    #[schemars(length(min = 1))]
    pub log_directory: String,
    /// The camera's source id.
    #[schemars(range(min = 0, max = 255))]
    pub source_id: u8,
    /// Its name.
    #[schemars(length(min = 1))]
    pub name: String,
}

/// A camera of a manifest.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ManifestSource {
    /// Source id.
    pub id: u8,
    /// Name.
    pub name: String,
}

/// What `write_camera_manifest` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct ManifestWritten {
    /// The manifest.
    pub manifest_path: PathBuf,
    /// The camera added (or renamed).
    pub registered_source: ManifestSource,
    /// `success`.
    pub status: String,
}

/// `write_camera_manifest`: adds a camera (or renames it) in a recording's manifest, made when missing.
pub fn write_camera_manifest(paths: &PathPolicy, args: ManifestWriteArgs) -> Reply<ManifestWritten> {
    let dir = paths.resolve("log_directory", &args.log_directory)?;
    if !dir.is_dir() {
        return Err(tool_error!(
            "argument `log_directory`: {} is not a directory",
            dir.display()
        ));
    }
    if args.name.trim().is_empty() {
        return Err(tool_error!("argument `name`: must not be empty"));
    }
    let path = axvs_log::manifest::register(&dir, args.source_id, &args.name).map_err(|e| tool_error!("{e}"))?;
    Ok((
        format!("camera {} '{}' in {}", args.source_id, args.name, path.display()),
        ManifestWritten {
            manifest_path: path,
            registered_source: ManifestSource {
                id: args.source_id,
                name: args.name,
            },
            status: "success".into(),
        },
    ))
}

/// Arguments of `discover_camera_data`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscoverDataArgs {
    /// Where to search (recursively).
    #[schemars(length(min = 1))]
    pub root_directory: String,
    /// Only these source ids (as text, as the original takes them).
    pub source_ids: Option<Vec<String>>,
    /// Only cameras with this name.
    pub name: Option<String>,
    /// Rows at most (default 200, or 50 when `detailed`; 0 or less: all).
    pub limit: Option<i64>,
    /// The first row to return.
    #[serde(default)]
    #[schemars(range(min = 0))]
    pub start_row: usize,
    /// List the cameras, not only the counts.
    #[serde(default)]
    pub include_items: bool,
    /// With each camera, its archive, video and timestamps table.
    #[serde(default)]
    pub detailed: bool,
}

/// One camera with an archive.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CameraData {
    /// The root searched.
    pub recording_root: PathBuf,
    /// Source id, as text.
    pub source_id: String,
    /// Name.
    pub name: String,
    /// The directory of its logs.
    pub log_directory: PathBuf,
    /// Its archive (`detailed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_archive: Option<PathBuf>,
    /// Its first video file (`detailed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub video_file: Option<PathBuf>,
    /// Its processed timestamps, when processed beside the logs (`detailed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamps_file: Option<PathBuf>,
}

/// What `discover_camera_data` returns.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CameraDataFound {
    /// Every log directory with a camera found, sorted.
    pub log_directories: Vec<PathBuf>,
    /// Cameras found.
    pub total_sources: usize,
    /// Log directories found.
    pub total_log_directories: usize,
    /// Counts by `source_id` and by `name`.
    pub breakdown: Breakdown,
    /// The cameras (when filtered, or `include_items`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sources: Option<Vec<CameraData>>,
    /// Paging: rows returned, rows matched, the first row, the next one (none at the end).
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub page: Option<Page>,
}

/// Counts of rows by a key's values (`{"source_id": {"1": 2}}`), as the original's listing tools give them.
pub type Breakdown = std::collections::BTreeMap<String, std::collections::BTreeMap<String, usize>>;

/// A page of rows.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Page {
    /// Rows returned.
    pub rows: usize,
    /// Rows matched.
    pub matched_rows: usize,
    /// The first row returned.
    pub start_row: usize,
    /// The first row of the next page; none at the end.
    pub next_start_row: Option<usize>,
}

/// Cuts `items` to the page `start_row`, `limit` (0 or less: all).
pub fn page<T>(items: Vec<T>, start_row: usize, limit: i64) -> (Vec<T>, Page) {
    let matched = items.len();
    let taken: Vec<T> = items
        .into_iter()
        .skip(start_row)
        .take(if limit <= 0 { usize::MAX } else { limit as usize })
        .collect();
    let next = start_row + taken.len();
    let page = Page {
        rows: taken.len(),
        matched_rows: matched,
        start_row,
        next_start_row: (next < matched).then_some(next),
    };
    (taken, page)
}

/// `discover_camera_data`: every camera with an archive under a root, counted by id and name; filtered and
/// paged as the original's tool.
pub fn discover_camera_data(paths: &PathPolicy, args: DiscoverDataArgs) -> Reply<CameraDataFound> {
    let find = FindArgs {
        root_directory: args.root_directory.clone(),
        source_id: None,
        name: None,
        max_depth: None,
    };
    let root = paths.resolve("root_directory", &args.root_directory)?;
    let (_, found) = find_recordings(paths, find)?;
    let mut all = Vec::new();
    for recording in found.recordings {
        for cam in recording.cameras {
            let Some(archive) = cam.archive else { continue };
            let timestamps = axvs_log::process::job::outputs_of(&recording.log_directory)
                .join(axvs_log::process::job::timestamps_file_name(cam.source_id));
            all.push(CameraData {
                recording_root: root.clone(),
                source_id: cam.source_id.to_string(),
                name: cam.name,
                log_directory: recording.log_directory.clone(),
                log_archive: args.detailed.then_some(archive),
                video_file: args.detailed.then(|| cam.videos.first().cloned()).flatten(),
                timestamps_file: (args.detailed && timestamps.is_file()).then_some(timestamps),
            });
        }
    }
    let mut breakdown: Breakdown = std::collections::BTreeMap::new();
    for cam in &all {
        *breakdown
            .entry("source_id".into())
            .or_default()
            .entry(cam.source_id.clone())
            .or_default() += 1;
        *breakdown
            .entry("name".into())
            .or_default()
            .entry(cam.name.clone())
            .or_default() += 1;
    }
    let unknown = |key: &str, asked: &[String]| -> Result<(), ToolError> {
        let known = breakdown
            .get(key)
            .map(|b| b.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default();
        match asked.iter().find(|a| !known.contains(a)) {
            Some(_) => Err(tool_error!("No source has '{key}' in {asked:?}. Available: {known:?}.")),
            None => Ok(()),
        }
    };
    if let Some(ids) = &args.source_ids {
        unknown("source_id", ids)?;
    }
    if let Some(name) = &args.name {
        unknown("name", std::slice::from_ref(name))?;
    }
    let mut log_directories: Vec<PathBuf> = all.iter().map(|c| c.log_directory.clone()).collect();
    log_directories.sort();
    log_directories.dedup();
    let filtered = args.source_ids.is_some() || args.name.is_some();
    let mut result = CameraDataFound {
        total_sources: all.len(),
        total_log_directories: log_directories.len(),
        log_directories,
        breakdown,
        sources: None,
        page: None,
    };
    if filtered || args.include_items {
        let chosen: Vec<CameraData> = all
            .into_iter()
            .filter(|c| args.source_ids.as_ref().is_none_or(|ids| ids.contains(&c.source_id)))
            .filter(|c| args.name.as_ref().is_none_or(|n| *n == c.name))
            .collect();
        let limit = args.limit.unwrap_or(if args.detailed { 50 } else { 200 });
        let (rows, page) = page(chosen, args.start_row, limit);
        result.sources = Some(rows);
        result.page = Some(page);
    }
    Ok((
        format!(
            "{} camera(s) with archives in {} log directories",
            result.total_sources, result.total_log_directories
        ),
        result,
    ))
}
