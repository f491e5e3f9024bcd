//! Faults a hostile user or a busy machine brings, each injected for real: a closed or full standard output,
//! two runs racing for one session, outputs that exist already, signals while a run starts, devices given
//! as inputs. Recorded data must never be lost, overwritten or left unfinished.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use axvs_tests::{axvs, counts_agree, read_report, rig_command, write_rig};

/// One small, fast camera: enough to record real files in a fraction of a second.
const RIG: &str = "[encoder]\npreset = 1\n[[camera]]\nid = 3\nname = \"small\"\nbackend = \"synthetic\"\n\
                   width = 160\nheight = 120\nfps = 30\n";

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Checks a finished session: video, log, archive and manifest there, no partial file, and the report's
/// figures agree with the files.
fn assert_session_complete(session: &Path, report: &Path) {
    assert_eq!(
        names(session),
        ["003.axvslog", "003.mp4", "3_log.npz", "camera_manifest.yaml"],
        "{}",
        session.display()
    );
    let report = read_report(report);
    let cameras = report["cameras"].as_array().expect("cameras");
    assert_eq!(cameras.len(), 1);
    counts_agree(&cameras[0]);
}

#[test]
fn a_closed_or_full_standard_output_does_not_stop_a_recording_or_its_finalization() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);

    // `axvs run ... | true`: the reader is gone before axvs prints its summary.
    let (mut command, report) = rig_command(dir.path(), &rig, "closed", &["--duration", "0.5"]);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start axvs");
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("wait");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_session_complete(&dir.path().join("closed"), &report);

    // Standard output on a full device.
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full");
    let (mut command, report) = rig_command(dir.path(), &rig, "full", &["--duration", "0.5"]);
    let out = command
        .stdin(Stdio::null())
        .stdout(Stdio::from(full))
        .output()
        .expect("run axvs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_session_complete(&dir.path().join("full"), &report);
}

#[test]
fn two_runs_racing_for_one_session_never_share_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);
    for round in 0..8 {
        let session = format!("race{round}");
        // Both start at once, each with a report of its own.
        let children: Vec<(std::process::Child, PathBuf)> = (0..2)
            .map(|n| {
                let report = dir.path().join(format!("{session}-{n}.json"));
                let child = axvs()
                    .args([
                        "run",
                        "--duration",
                        "0.3",
                        "--status-interval",
                        "0",
                        "--session",
                        &session,
                        "-o",
                    ])
                    .arg(dir.path())
                    .arg("--report")
                    .arg(&report)
                    .arg(&rig)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("start axvs");
                (child, report)
            })
            .collect();
        let mut winners = Vec::new();
        for (child, report) in children {
            let out = child.wait_with_output().expect("wait");
            let stderr = String::from_utf8_lossy(&out.stderr).to_string();
            match out.status.code() {
                Some(0) => winners.push(report),
                Some(2) => {
                    assert!(stderr.contains("already exists"), "round {round}: {stderr}");
                    assert!(!report.exists(), "round {round}: the refused run wrote a report");
                }
                other => panic!("round {round}: exit {other:?}: {stderr}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one run gets the session");
        assert_session_complete(&dir.path().join(&session), &winners[0]);
    }
}

#[test]
fn runs_started_in_the_same_second_get_distinct_default_sessions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);
    let root = dir.path().join("root");
    let children: Vec<std::process::Child> = (0..3)
        .map(|_| {
            axvs()
                .args(["run", "--duration", "0.3", "--status-interval", "0", "-o"])
                .arg(&root)
                .arg(&rig)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start axvs")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().expect("wait");
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let sessions = names(&root);
    assert_eq!(sessions.len(), 3, "{sessions:?}");
    for session in &sessions {
        assert_eq!(
            names(&root.join(session)).len(),
            4,
            "{session}: a complete session each"
        );
    }
}

#[test]
fn existing_outputs_are_never_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);

    // A report path that exists: refused before anything is recorded.
    let taken = dir.path().join("taken.json");
    std::fs::write(&taken, "precious").expect("write");
    let out = axvs()
        .args(["run", "--duration", "0.3", "--session", "s", "--report"])
        .arg(&taken)
        .arg("-o")
        .arg(dir.path())
        .arg(&rig)
        .stdin(Stdio::null())
        .output()
        .expect("run axvs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("taken.json: the file exists"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&taken).expect("read"), "precious");
    assert!(!dir.path().join("s").exists(), "nothing recorded");

    // `timestamps -o` onto a file that exists: refused, the file kept; no partial file stays anywhere.
    let (mut command, _) = rig_command(dir.path(), &rig, "t", &["--duration", "0.3"]);
    assert!(command.stdin(Stdio::null()).status().expect("run").success());
    let session = dir.path().join("t");
    let timestamps = |output: &Path| {
        axvs()
            .arg("timestamps")
            .arg(session.join("003.axvslog"))
            .arg("-o")
            .arg(output)
            .output()
            .expect("run axvs")
    };
    let csv = session.join("times.csv");
    let out = timestamps(&csv);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    std::fs::write(&csv, "precious").expect("write");
    let out = timestamps(&csv);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&csv).expect("csv"), "precious");
    let video = session.join("003.mp4");
    let before = std::fs::read(&video).expect("video");
    assert_ne!(timestamps(&video).status.code(), Some(0));
    assert_eq!(std::fs::read(&video).expect("video"), before, "the video is untouched");
    assert!(
        names(&session).iter().all(|n| !n.contains("partial")),
        "{:?}",
        names(&session)
    );
}

#[test]
fn a_signal_while_the_run_starts_leaves_nothing_or_a_finished_session() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);
    // From at once to well into the start-up (opening cameras, claiming the session, starting encoders).
    for (i, delay_ms) in [0u64, 20, 50, 100, 150, 250, 400].into_iter().enumerate() {
        let session = format!("sig{i}");
        let (mut command, report) = rig_command(dir.path(), &rig, &session, &["--duration", "30"]);
        let child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start axvs");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let sent = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .expect("kill -INT");
        assert!(sent.success());
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{delay_ms} ms: {stderr}");
        let session = dir.path().join(&session);
        if out.status.code().is_none() {
            // Killed before `main` could catch the signal (the loader still linking FFmpeg): nothing written.
            assert!(
                !session.exists(),
                "{delay_ms} ms: killed by the signal after the session was claimed"
            );
        } else if session.exists() {
            assert_eq!(out.status.code(), Some(0), "{delay_ms} ms: {stderr}");
            assert_session_complete(&session, &report);
        } else {
            assert!(
                stderr.contains("interrupted before recording started"),
                "{delay_ms} ms: {stderr}"
            );
        }
    }
}
