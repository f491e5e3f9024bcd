//! `axvs export nwb`: a session as an NWB 2.x file that pynwb reads back (each camera's frames at the times
//! the log holds, its video files with their first frames), `pynwb.validate` accepts and NWB Inspector finds
//! nothing critical in, as DANDI checks uploads.

use std::path::Path;
use std::process::Stdio;

use axvs_tests::{axvs, counts_agree, probe, python, read_report, rig_command, write_rig};

/// Two cameras, the first split into 1-second segments.
const RIG: &str = "[encoder]\npreset = 1\n[session]\nsubject = \"m12\"\nexperimenter = \"Lab, A.\"\n\
                   [[camera]]\nid = 1\nname = \"front\"\nbackend = \"synthetic\"\nwidth = 160\nheight = 120\nfps = 30\n\
                   [camera.encoder]\nsegment = \"1s\"\n\
                   [[camera]]\nid = 2\nname = \"side\"\nbackend = \"synthetic\"\nwidth = 160\nheight = 120\nfps = 25\n";

/// Reads the NWB file back with pynwb and prints, as JSON, what the test compares; then validates it with
/// pynwb and NWB Inspector.
const READ: &str = r#"
import json, sys, warnings
warnings.simplefilter("ignore")
import pynwb, nwbinspector
path = sys.argv[1]
with pynwb.NWBHDF5IO(path, "r") as io:
    f = io.read()
    series = {}
    for name, s in f.acquisition.items():
        series[name] = {
            "files": list(s.external_file[:]),
            "starting_frame": [int(x) for x in s.starting_frame],
            "timestamps_us": [round(t * 1e6) for t in s.timestamps[:]],
            "format": s.format,
            "device": s.device.description,
        }
    out = {
        "start_us": round(f.session_start_time.timestamp() * 1e6),
        "subject_id": f.subject.subject_id if f.subject else None,
        "species": f.subject.species if f.subject else None,
        "experimenter": list(f.experimenter or []),
        "series": series,
    }
out["validation"] = [str(e) for e in pynwb.validate(path=path)]
out["inspector"] = [
    f"{m.importance.name}: {m.check_function_name}: {m.message}"
    for m in nwbinspector.inspect_nwbfile(nwbfile_path=path)
]
print(json.dumps(out))
"#;

#[test]
fn a_session_exports_to_nwb_that_pynwb_reads_and_validates_and_the_inspector_accepts() {
    let dir = tempfile::tempdir().expect("dir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);
    let (mut command, report) = rig_command(dir.path(), &rig, "s", &["--duration", "2.6"]);
    let out = command.stdin(Stdio::null()).output().expect("axvs run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = read_report(&report);
    let bag = dir.path().join("s");

    // Species, sex and age only now: DANDI requires them, and a lab may know them after recording.
    let export = |extra: &[&str]| {
        axvs()
            .args(["export", "nwb"])
            .arg(&bag)
            .args(extra)
            .output()
            .expect("axvs export nwb")
    };
    let out = export(&[
        "--meta",
        "species=Mus musculus",
        "--meta",
        "sex=F",
        "--meta",
        "age=P90D",
    ]);
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{text}");
    assert!(
        !text.contains("warning"),
        "every field DANDI requires was given: {text}"
    );
    let nwb = bag.join("s.nwb");
    assert!(text.contains(nwb.to_str().expect("utf-8")), "{text}");

    let read: serde_json::Value =
        serde_json::from_str(python(READ, &[&nwb], "pynwb").lines().last().unwrap_or_default()).expect("JSON");
    assert_eq!(read["validation"], serde_json::json!([]), "pynwb.validate: {read}");
    let inspector: Vec<&str> = read["inspector"]
        .as_array()
        .expect("inspector")
        .iter()
        .filter_map(|m| m.as_str())
        .collect();
    assert!(
        inspector
            .iter()
            .all(|m| !m.starts_with("CRITICAL") && !m.starts_with("ERROR") && !m.starts_with("PYNWB_VALIDATION")),
        "NWB Inspector: {inspector:?}"
    );
    assert_eq!(read["subject_id"], "m12");
    assert_eq!(read["species"], "Mus musculus");
    assert_eq!(read["experimenter"], serde_json::json!(["Lab, A."]));

    // Each camera: its video files relative to the NWB file, each one's first frame, and every frame's time
    // exactly as the log has it (µs since the earliest onset).
    let mut onsets = Vec::new();
    let mut logged = Vec::new();
    for cam in report["cameras"].as_array().expect("cameras") {
        counts_agree(cam);
        let archive = cam["archive"].as_str().expect("archive");
        let entries = axvs_log::npz::read_archive(Path::new(archive)).expect("archive");
        onsets.push(entries[0].onset_utc_us().expect("onset"));
        logged.push(axvs_log::timestamps::frame_times(&entries).expect("times"));
    }
    let start = *onsets.iter().min().expect("onsets");
    assert_eq!(
        read["start_us"].as_u64(),
        Some(start),
        "session_start_time is the earliest onset"
    );
    for (i, name) in ["front", "side"].into_iter().enumerate() {
        let series = &read["series"][name];
        assert_eq!(series["format"], "external");
        let cam = &report["cameras"][i];
        let files = axvs_tests::video_files(cam);
        let names: Vec<String> = files
            .iter()
            .map(|f| format!("data/{}", f.file_name().expect("name").to_string_lossy()))
            .collect();
        assert_eq!(series["files"], serde_json::json!(names), "{name}");
        let mut first = 0;
        let mut starts = Vec::new();
        for file in &files {
            starts.push(first);
            first += probe(file).frame_count();
        }
        assert_eq!(series["starting_frame"], serde_json::json!(starts), "{name}");
        let expected: Vec<u64> = logged[i].iter().map(|t| t - start).collect();
        assert_eq!(
            series["timestamps_us"],
            serde_json::json!(expected),
            "{name}: the log's times, exactly"
        );
        assert!(
            series["device"]
                .as_str()
                .is_some_and(|d| d.contains("synthetic 160x120")),
            "{series}"
        );
    }
    assert!(
        names_of(&read["series"]["front"]["files"]) >= 3,
        "segments: {}",
        read["series"]["front"]
    );

    // Beside the sealed data/: the session stays whole. A second export never replaces the first.
    let out = axvs().arg("verify").arg(&bag).output().expect("verify");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let out = export(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists"), "{out:?}");
    // Without the subject's details, the export says which DANDI needs.
    let other = dir.path().join("other.nwb");
    let out = export(&["-o", other.to_str().expect("utf-8")]);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("DANDI requires the subject's species, sex, age"),
        "{stderr}"
    );
    let read: serde_json::Value =
        serde_json::from_str(python(READ, &[&other], "pynwb").lines().last().unwrap_or_default()).expect("JSON");
    assert_eq!(
        read["series"]["side"]["files"],
        serde_json::json!(["s/data/002.mp4"]),
        "relative to the file"
    );
}

fn names_of(files: &serde_json::Value) -> usize {
    files.as_array().map_or(0, Vec::len)
}
