//! The NWB file itself, written with HDF5: the layout NWB 2.x readers (pynwb, MatNWB) and validators
//! (`pynwb-validate`, NWB Inspector) expect of an `NWBFile` with external `ImageSeries`.

use std::path::{Path, PathBuf};

use hdf5::types::{VarLenAscii, VarLenUnicode};
use hdf5::{Group, Location};

use crate::session::SessionContent;
use crate::{NwbError, NWB_VERSION};

/// Writes `content` to `path`, which must not exist: into a hidden file beside it first, named `path` only
/// when complete (a crash leaves no partial NWB file under the name).
pub fn write_new(content: &SessionContent, path: &Path) -> Result<(), NwbError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let partial = path.with_file_name(format!(".{name}.partial"));
    let _ = std::fs::remove_file(&partial);
    let written = Writer { path, content }.write(&partial);
    let published = written.and_then(|()| {
        // A hard link never replaces: a file that appeared meanwhile is kept.
        std::fs::hard_link(&partial, path).map_err(|source| match source.kind() {
            std::io::ErrorKind::AlreadyExists => NwbError::Exists(path.to_path_buf()),
            _ => NwbError::Io {
                path: path.to_path_buf(),
                source,
            },
        })
    });
    let _ = std::fs::remove_file(&partial);
    published
}

struct Writer<'a> {
    path: &'a Path,
    content: &'a SessionContent,
}

impl Writer<'_> {
    fn error(&self, what: impl Into<String>) -> impl FnOnce(hdf5::Error) -> NwbError + '_ {
        let what = what.into();
        move |source| NwbError::Hdf5 {
            path: self.path.to_path_buf(),
            what,
            source,
        }
    }

    fn write(&self, partial: &Path) -> Result<(), NwbError> {
        let file = hdf5::File::create_excl(partial).map_err(self.error("creating the file"))?;
        let content = self.content;
        let start = rfc3339(content.start_us());
        let now = rfc3339(time::OffsetDateTime::now_utc().unix_timestamp_nanos().max(0) as u64 / 1000);
        self.typed(&file, "NWBFile")?;
        self.attr(&file, "nwb_version", NWB_VERSION)?;
        self.text(&file, "identifier", &format!("axvs:{}:{start}", content.name))?;
        let description = content.metadata.description().map_or_else(
            || format!("axvs recording '{}': {} camera(s)", content.name, content.cameras.len()),
            str::to_string,
        );
        self.text(&file, "session_description", &description)?;
        self.ascii(&file, "session_start_time", &start)?;
        self.ascii(&file, "timestamps_reference_time", &start)?;
        self.ascii_list(&file, "file_create_date", &[now])?;
        for group in [
            "acquisition",
            "analysis",
            "processing",
            "stimulus",
            "stimulus/presentation",
            "stimulus/templates",
        ] {
            self.group(&file, group)?;
        }
        let general = self.group(&file, "general")?;
        let experimenters = content.metadata.experimenters();
        if !experimenters.is_empty() {
            self.text_list(&general, "experimenter", &experimenters)?;
        }
        let keywords = content.metadata.keywords();
        if !keywords.is_empty() {
            self.text_list(&general, "keywords", &keywords)?;
        }
        for (key, value) in content.metadata.general() {
            self.text(&general, key, value)?;
        }
        let subject = content.metadata.subject();
        if !subject.is_empty() {
            let group = self.group(&general, "subject")?;
            self.typed(&group, "Subject")?;
            for (key, value) in subject {
                self.text(&group, key, value)?;
            }
        }
        let devices = self.group(&general, "devices")?;
        let acquisition = file.group("acquisition").map_err(self.error("opening acquisition"))?;
        let names = series_names(content);
        for (camera, name) in content.cameras.iter().zip(&names) {
            let device = self.group(&devices, name)?;
            self.typed(&device, "Device")?;
            self.attr(&device, "description", &camera.device_description)?;
            if let Some(serial) = &camera.serial {
                self.attr(&device, "serial_number", serial)?;
            }
            let series = self.group(&acquisition, name)?;
            self.typed(&series, "ImageSeries")?;
            self.attr(
                &series,
                "description",
                &format!(
                    "{}: every saved frame, in its video files (external), at {} (host clock, seconds since \
                     session_start_time)",
                    camera.device_description,
                    match content.time_base {
                        crate::TimeBase::Acquisition => "its acquisition time from the timestamp log",
                        crate::TimeBase::Mapped =>
                            "its device timestamp mapped onto the host clock (the exposure plus the transfer's base latency)",
                    }
                ),
            )?;
            self.attr(&series, "comments", "recorded by axvs")?;
            // External mode: no pixels in the file, an empty 3-D dataset in their place.
            let data = series
                .new_dataset::<u8>()
                .shape((0, 0, 0))
                .create("data")
                .map_err(self.error(format!("{name}/data")))?;
            self.attr(&data, "unit", "n/a")?;
            let files: Vec<String> = camera.files.iter().map(|(f, _)| relative(self.path, f)).collect();
            let external = self.text_list(&series, "external_file", &files)?;
            let starts: Vec<i64> = camera.files.iter().map(|(_, first)| *first as i64).collect();
            external
                .new_attr_builder()
                .with_data(&starts)
                .create("starting_frame")
                .map_err(self.error(format!("{name}/external_file starting_frame")))?;
            self.text(&series, "format", "external")?;
            let start_us = content.start_us();
            let seconds: Vec<f64> = camera
                .frame_times_us
                .iter()
                // Signed: a mapped time may precede the onset by the transfer's latency.
                .map(|&t| (t as i64 - start_us as i64) as f64 / 1e6)
                .collect();
            let timestamps = series
                .new_dataset_builder()
                .with_data(&seconds)
                .create("timestamps")
                .map_err(self.error(format!("{name}/timestamps")))?;
            timestamps
                .new_attr::<i32>()
                .create("interval")
                .and_then(|a| a.write_scalar(&1i32))
                .map_err(self.error(format!("{name}/timestamps interval")))?;
            self.attr(&timestamps, "unit", "seconds")?;
            series
                .link_soft(&format!("/general/devices/{name}"), "device")
                .map_err(self.error(format!("{name}/device")))?;
        }
        file.close().map_err(self.error("closing the file"))
    }

    fn group(&self, parent: &Group, name: &str) -> Result<Group, NwbError> {
        parent.create_group(name).map_err(self.error(format!("group {name}")))
    }

    /// Marks `location` as an object of NWB's `core` namespace.
    fn typed(&self, location: &Location, neurodata_type: &str) -> Result<(), NwbError> {
        self.attr(location, "namespace", "core")?;
        self.attr(location, "neurodata_type", neurodata_type)
    }

    /// A scalar UTF-8 string attribute.
    fn attr(&self, location: &Location, name: &str, value: &str) -> Result<(), NwbError> {
        let value = unicode(value);
        location
            .new_attr::<VarLenUnicode>()
            .create(name)
            .and_then(|a| a.write_scalar(&value))
            .map_err(self.error(format!("attribute {name}")))
    }

    /// A scalar UTF-8 string dataset.
    fn text(&self, group: &Group, name: &str, value: &str) -> Result<(), NwbError> {
        let value = unicode(value);
        group
            .new_dataset::<VarLenUnicode>()
            .create(name)
            .and_then(|d| d.write_scalar(&value))
            .map_err(self.error(format!("dataset {name}")))
    }

    /// A scalar ASCII string dataset (NWB's dates and times).
    fn ascii(&self, group: &Group, name: &str, value: &str) -> Result<(), NwbError> {
        let value = ascii(value);
        group
            .new_dataset::<VarLenAscii>()
            .create(name)
            .and_then(|d| d.write_scalar(&value))
            .map_err(self.error(format!("dataset {name}")))
    }

    /// A 1-D ASCII string dataset.
    fn ascii_list(&self, group: &Group, name: &str, values: &[String]) -> Result<(), NwbError> {
        let values: Vec<VarLenAscii> = values.iter().map(|v| ascii(v)).collect();
        group
            .new_dataset_builder()
            .with_data(&values)
            .create(name)
            .map(|_| ())
            .map_err(self.error(format!("dataset {name}")))
    }

    /// A 1-D UTF-8 string dataset.
    fn text_list(&self, group: &Group, name: &str, values: &[String]) -> Result<hdf5::Dataset, NwbError> {
        let values: Vec<VarLenUnicode> = values.iter().map(|v| unicode(v)).collect();
        group
            .new_dataset_builder()
            .with_data(&values)
            .create(name)
            .map_err(self.error(format!("dataset {name}")))
    }
}

/// `value` as HDF5 UTF-8 text (a NUL, which HDF5 strings cannot hold, cut out).
fn unicode(value: &str) -> VarLenUnicode {
    value.replace('\0', "").parse().unwrap_or_default()
}

/// `value` as HDF5 ASCII text (what is not ASCII cut out).
fn ascii(value: &str) -> VarLenAscii {
    let value: String = value.chars().filter(|c| c.is_ascii() && *c != '\0').collect();
    VarLenAscii::from_ascii(&value).unwrap_or_default()
}

/// µs since the UNIX epoch as ISO 8601 (RFC 3339, UTC).
fn rfc3339(us: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// Each camera's series name: its name (`/` cannot be in an HDF5 name), with its id when two share one.
fn series_names(content: &SessionContent) -> Vec<String> {
    let plain: Vec<String> = content.cameras.iter().map(|c| c.name.replace('/', "_")).collect();
    plain
        .iter()
        .zip(&content.cameras)
        .map(|(name, camera)| {
            let shared = plain.iter().filter(|n| *n == name).count() > 1;
            match (shared, name.is_empty()) {
                (false, false) => name.clone(),
                _ => format!(
                    "camera_{}{}",
                    camera.id,
                    if name.is_empty() {
                        String::new()
                    } else {
                        format!("_{name}")
                    }
                ),
            }
        })
        .collect()
}

/// `file` as a path relative to the NWB file's folder (NWB readers resolve external files from there); an
/// absolute path when the two share no root.
fn relative(nwb: &Path, file: &Path) -> String {
    // Resolved (`..`, links), as the reader will resolve them.
    let resolve = |p: &Path| {
        std::fs::canonicalize(p)
            .or_else(|_| std::path::absolute(p))
            .unwrap_or_else(|_| p.to_path_buf())
    };
    let folder = nwb
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let base: PathBuf = resolve(folder);
    let target = resolve(file);
    let (base, target): (Vec<_>, Vec<_>) = (base.components().collect(), target.components().collect());
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    if common == 0 {
        return target.iter().collect::<PathBuf>().display().to_string();
    }
    let mut parts: Vec<String> = std::iter::repeat_n("..".to_string(), base.len() - common).collect();
    parts.extend(
        target[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn external_files_are_named_from_the_nwb_files_folder() {
        assert_eq!(
            relative(Path::new("/s/x.nwb"), Path::new("/s/data/001.mp4")),
            "data/001.mp4"
        );
        assert_eq!(
            relative(Path::new("/out/nwb/x.nwb"), Path::new("/s/data/001.mp4")),
            "../../s/data/001.mp4"
        );
    }

    #[test]
    fn times_are_iso_8601_in_utc_to_the_microsecond() {
        assert_eq!(rfc3339(1_700_000_000_123_456), "2023-11-14T22:13:20.123456Z");
        assert_eq!(ascii("naïve\0"), ascii("nave"));
    }
}
