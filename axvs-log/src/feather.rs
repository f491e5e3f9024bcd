//! Frame times as Arrow IPC (`.feather`) files, as the original's processing writes them.
//!
//! One record batch with the `uint64` column `frame_time_us` (µs since the UNIX epoch), which the
//! original's readers (polars, pyarrow) select by name, and beside it axvs' device columns
//! `device_frame_id`, `device_timestamp_ns` and `mapped_time_us` (the device timestamp mapped onto the host
//! clock, µs since the UNIX epoch like `frame_time_us`: see [`crate::clock`]) (`uint64`, null where the
//! camera gave none). Uncompressed, as polars writes by default.

use std::path::Path;
use std::sync::Arc;

use arrow_array::{Array, ArrayRef, RecordBatch, UInt64Array};
use arrow_schema::{DataType, Field, Schema};

use crate::device::DeviceColumns;
use crate::output::replace_file;
use crate::LogFileError;

/// The frame time column: µs since the UNIX epoch (UTC).
pub const FRAME_TIME: &str = "frame_time_us";
/// The device frame id column.
pub const DEVICE_FRAME_ID: &str = "device_frame_id";
/// The device timestamp column, ns.
pub const DEVICE_TIMESTAMP: &str = "device_timestamp_ns";
/// The mapped time column: the device timestamp on the host clock, µs since the UNIX epoch.
pub const MAPPED_TIME: &str = "mapped_time_us";

/// Writes `times` and their device columns to `path` (replacing it only once the new file is whole).
pub fn write_timestamps(path: &Path, times: &[u64], device: &DeviceColumns) -> Result<(), LogFileError> {
    if device.frame_id.len() != times.len()
        || device.timestamp_ns.len() != times.len()
        || device.mapped_delta_us.len() != times.len()
    {
        return Err(LogFileError::corrupt(
            path,
            format!(
                "{} frame times but {} device frame ids, {} device timestamps and {} mapped times",
                times.len(),
                device.frame_id.len(),
                device.timestamp_ns.len(),
                device.mapped_delta_us.len()
            ),
        ));
    }
    let schema = Arc::new(Schema::new(vec![
        Field::new(FRAME_TIME, DataType::UInt64, false),
        Field::new(DEVICE_FRAME_ID, DataType::UInt64, true),
        Field::new(DEVICE_TIMESTAMP, DataType::UInt64, true),
        Field::new(MAPPED_TIME, DataType::UInt64, true),
    ]));
    let mapped = device.mapped_epoch_us(times);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt64Array::from(times.to_vec())),
        Arc::new(UInt64Array::from(device.frame_id.clone())),
        Arc::new(UInt64Array::from(device.timestamp_ns.clone())),
        Arc::new(UInt64Array::from(mapped)),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).map_err(arrow(path))?;
    replace_file(path, |out, tmp| {
        let mut writer = arrow_ipc::writer::FileWriter::try_new(out, &schema).map_err(arrow(tmp))?;
        writer.write(&batch).map_err(arrow(tmp))?;
        writer.finish().map_err(arrow(tmp))
    })
}

/// The columns of a timestamps file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampsFile {
    /// `frame_time_us`.
    pub frame_time_us: Vec<u64>,
    /// `device_frame_id` (all `None` in files without the column, such as the original's).
    pub device_frame_id: Vec<Option<u64>>,
    /// `device_timestamp_ns` (likewise).
    pub device_timestamp_ns: Vec<Option<u64>>,
    /// `mapped_time_us` (likewise).
    pub mapped_time_us: Vec<Option<u64>>,
}

/// Reads a timestamps file (axvs' or the original's): `frame_time_us` must be there, as `uint64` without
/// nulls; the device columns are read when present.
pub fn read_timestamps(path: &Path) -> Result<TimestampsFile, LogFileError> {
    let file = std::fs::File::open(path).map_err(LogFileError::io(path))?;
    let reader =
        arrow_ipc::reader::FileReader::try_new(std::io::BufReader::new(file), None).map_err(|e| unreadable(path, e))?;
    let mut out = TimestampsFile {
        frame_time_us: Vec::new(),
        device_frame_id: Vec::new(),
        device_timestamp_ns: Vec::new(),
        mapped_time_us: Vec::new(),
    };
    for batch in reader {
        let batch = batch.map_err(|e| unreadable(path, e))?;
        let column = |name: &str| -> Result<Option<&UInt64Array>, LogFileError> {
            match batch.column_by_name(name) {
                None => Ok(None),
                Some(c) => c.as_any().downcast_ref::<UInt64Array>().map(Some).ok_or_else(|| {
                    LogFileError::corrupt(path, format!("column {name} is {}, not uint64", c.data_type()))
                }),
            }
        };
        let times =
            column(FRAME_TIME)?.ok_or_else(|| LogFileError::corrupt(path, format!("no {FRAME_TIME} column")))?;
        if times.null_count() > 0 {
            return Err(LogFileError::corrupt(path, format!("{FRAME_TIME} has nulls")));
        }
        out.frame_time_us.extend(times.values().iter().copied());
        for (name, dest) in [
            (DEVICE_FRAME_ID, &mut out.device_frame_id),
            (DEVICE_TIMESTAMP, &mut out.device_timestamp_ns),
            (MAPPED_TIME, &mut out.mapped_time_us),
        ] {
            match column(name)? {
                Some(c) => dest.extend(c.iter()),
                None => dest.extend(std::iter::repeat_n(None, times.len())),
            }
        }
    }
    Ok(out)
}

/// A file that does not parse: corrupt, whatever the reader's error (a short file reads as a bad seek).
fn unreadable(path: &Path, e: arrow_schema::ArrowError) -> LogFileError {
    LogFileError::corrupt(path, format!("not a readable Arrow IPC file: {e}"))
}

fn arrow(path: &Path) -> impl Fn(arrow_schema::ArrowError) -> LogFileError + '_ {
    move |e| arrow_error(path, e)
}

fn arrow_error(path: &Path, e: arrow_schema::ArrowError) -> LogFileError {
    match e {
        arrow_schema::ArrowError::IoError(_, source) => LogFileError::Io {
            path: path.to_path_buf(),
            source,
        },
        other => LogFileError::corrupt(path, format!("not a readable Arrow IPC file: {other}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_with_device_columns() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("camera_1_timestamps.feather");
        let times = [1_700_000_000_000_000, 1_700_000_000_016_667, u64::MAX];
        let device = DeviceColumns {
            frame_id: vec![Some(7), None, Some(9)],
            timestamp_ns: vec![None, Some(5), Some(6)],
            mapped_delta_us: vec![Some(-300), None, Some(-1)],
            mismatched: 0,
        };
        write_timestamps(&path, &times, &device).expect("write");
        let read = read_timestamps(&path).expect("read");
        assert_eq!(read.frame_time_us, times);
        assert_eq!(read.device_frame_id, device.frame_id);
        assert_eq!(read.device_timestamp_ns, device.timestamp_ns);
        assert_eq!(
            read.mapped_time_us,
            [Some(1_699_999_999_999_700), None, Some(u64::MAX - 1)],
            "the frame time plus the mapped delta"
        );
        // Rewritten in place (a rerun with --force), nothing left beside it.
        write_timestamps(&path, &[], &DeviceColumns::empty(0)).expect("empty");
        assert!(read_timestamps(&path).expect("read").frame_time_us.is_empty());
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 1);
    }

    #[test]
    fn mismatched_columns_and_junk_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("t.feather");
        let err = write_timestamps(&path, &[1, 2], &DeviceColumns::empty(1)).expect_err("lengths");
        assert!(err.to_string().contains("2 frame times but 1"), "{err}");
        let one_short = DeviceColumns {
            frame_id: vec![None; 2],
            timestamp_ns: vec![None],
            mapped_delta_us: vec![None; 2],
            mismatched: 0,
        };
        let err = write_timestamps(&path, &[1, 2], &one_short).expect_err("either column short");
        assert!(err.to_string().contains(", 1 device timestamps"), "{err}");
        assert!(!path.exists());
        // A file with only a frame time column (nullable), as another writer may make it.
        let one_column = |values: Vec<Option<u64>>| {
            let schema = Arc::new(Schema::new(vec![Field::new(FRAME_TIME, DataType::UInt64, true)]));
            let column: ArrayRef = Arc::new(UInt64Array::from(values));
            let batch = RecordBatch::try_new(Arc::clone(&schema), vec![column]).expect("batch");
            replace_file(&path, |out, _| {
                let mut w = arrow_ipc::writer::FileWriter::try_new(out, &schema).expect("writer");
                w.write(&batch).expect("write");
                w.finish().expect("finish");
                Ok(())
            })
            .expect("file");
        };
        // A frame time column with a null is not a timestamps file.
        one_column(vec![Some(1), None]);
        let err = read_timestamps(&path).expect_err("nulls").to_string();
        assert!(err.contains("frame_time_us has nulls"), "{err}");
        // The original's files have the one column: the device columns read as nulls.
        one_column(vec![Some(1), Some(2)]);
        let read = read_timestamps(&path).expect("one column");
        assert_eq!(
            (read.frame_time_us, read.device_frame_id),
            (vec![1, 2], vec![None, None])
        );
        std::fs::write(&path, b"not arrow").expect("write");
        let err = read_timestamps(&path).expect_err("junk").to_string();
        assert!(
            err.contains("not a readable Arrow IPC file") && err.contains("t.feather"),
            "{err}"
        );
    }
}
