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

/// Checks a finished session: video, log, device metadata (from the first saved frame on: a run stopped
/// before it has none to keep), archive, manifest and report there, no partial file, and the report's
/// figures agree with the files.
fn assert_session_complete(session: &Path, report: &Path) {
    let report = read_report(report);
    let cameras = report["cameras"].as_array().expect("cameras");
    assert_eq!(cameras.len(), 1);
    let saved = counts_agree(&cameras[0]);
    // A camera that saved nothing leaves no empty video, log or archive.
    let expected = if saved > 0 {
        vec![
            "003.axvsdev",
            "003.axvslog",
            "003.mp4",
            "3_log.npz",
            "axvs_report.json",
            "camera_manifest.yaml",
            "session.json",
        ]
    } else {
        vec!["axvs_report.json", "camera_manifest.yaml", "session.json"]
    };
    assert_eq!(names(&session.join("data")), expected, "{}", session.display());
    // The session folder is a bag: its files in data/, their checksums and the counts beside.
    assert_eq!(
        names(session),
        [
            "axvs-certificate.json",
            "bag-info.txt",
            "bagit.txt",
            "data",
            "manifest-sha256.txt",
            "tagmanifest-sha256.txt"
        ],
        "{}",
        session.display()
    );
}

/// Everything a finished run wrote reaches the disk itself, not only the OS cache: `strace` sees an
/// `fsync` (or `fdatasync`) of each video, log, device sidecar, archive, the manifest and the report (the
/// archive and report as their partial files, synced before they take their names), and of the session's
/// folder once they have them.
#[test]
fn a_finished_runs_files_are_synced_to_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);
    let trace = dir.path().join("trace.txt");
    let out = Command::new("strace")
        .args(["-f", "-y", "-qq", "-e", "trace=fsync,fdatasync", "-o"])
        .arg(&trace)
        .arg(axvs_tests::axvs_bin())
        .args([
            "run",
            "--duration",
            "1",
            "--status-interval",
            "0",
            "--session",
            "s",
            "-o",
        ])
        .arg(dir.path())
        .arg(&rig)
        .stdin(Stdio::null())
        .output()
        .expect("strace (./dev deps installs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let trace = std::fs::read_to_string(&trace).expect("trace");
    let synced = |name: &str| {
        trace
            .lines()
            .any(|l| (l.contains("fsync(") || l.contains("fdatasync(")) && l.contains(name) && !l.contains("= -1"))
    };
    for name in [
        "/s/data/003.mp4>",
        "/s/data/003.axvslog>",
        "/s/data/003.axvsdev>",
        "/s/data/.3_log.npz.partial",
        "/s/data/camera_manifest.yaml.partial>",
        "/s/data/.axvs_report.json.partial",
        // The folder, once the archive and report have their names.
        "/s/data>",
        // The certificate, each of its files, and the bag's folder once they have their names.
        "/s/.manifest-sha256.txt.new>",
        "/s/.tagmanifest-sha256.txt.new>",
        "/s>",
    ] {
        assert!(synced(name), "{name} was not synced:\n{trace}");
    }
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

/// Three runs started together with the default session name (the UTC date and time, to the second): those
/// that claim it in the same second get `<name>`, `<name>-2`, `<name>-3`, each a complete session. (Should
/// the three straddle a second each time, the test tries again: it must see a shared second.)
#[test]
fn runs_started_in_the_same_second_get_distinct_default_sessions() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);
    for attempt in 0..5 {
        let root = dir.path().join(format!("root{attempt}"));
        let sessions = three_runs_together(&rig, &root);
        assert_eq!(sessions.len(), 3, "{sessions:?}");
        for session in &sessions {
            assert_eq!(
                names(&root.join(session).join("data")).len(),
                7,
                "{session}: a complete session each"
            );
        }
        // Grouped by second: each group is the name, then -2, -3 in order.
        let mut groups: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for session in &sessions {
            let base = match session.rsplit_once('-') {
                Some((base, n)) if n.len() == 1 && n != "0" && n.bytes().all(|b| b.is_ascii_digit()) => base,
                _ => session.as_str(),
            };
            groups.entry(base.to_string()).or_default().push(session.clone());
        }
        for (base, names) in &groups {
            let expected: Vec<String> = (1..=names.len())
                .map(|n| if n == 1 { base.clone() } else { format!("{base}-{n}") })
                .collect();
            assert_eq!(names, &expected, "{sessions:?}");
            let shape: String = base.chars().map(|c| if c.is_ascii_digit() { '9' } else { c }).collect();
            assert_eq!(shape, "9999-99-99_99-99-99", "{base}: the UTC date and time");
        }
        if groups.values().any(|g| g.len() > 1) {
            return;
        }
    }
    panic!("five times, no two of three runs started together shared a second");
}

/// Starts three runs of `rig` at once into `root` with the default session name; the sessions they made.
fn three_runs_together(rig: &Path, root: &Path) -> Vec<String> {
    let children: Vec<std::process::Child> = (0..3)
        .map(|_| {
            axvs()
                .args(["run", "--duration", "0.3", "--status-interval", "0", "-o"])
                .arg(root)
                .arg(rig)
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
    names(root)
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
    let session = dir.path().join("t/data");
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
        assert!(axvs_tests::send_signal(child.id(), "INT"));
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

/// Whether this process runs as root (its real user id is 0).
fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// Runs `axvs <args>` in a mount namespace of its own (`unshare`, which any user may use) where each
/// of `disks` (folder, tmpfs size) is a fresh small file system; what the run wrote there is copied back into
/// the real folder before the namespace ends, for the test to read.
fn run_on_small_disks(disks: &[(&Path, &str)], args: &[&std::ffi::OsStr]) -> std::process::Output {
    let quote = |p: &Path| format!("'{}'", p.display());
    // Private mounts, so the small disks never show outside; in a chroot `/` is no mount point and this
    // fails, but there the mounts are private already (fresh-check's own namespace).
    let mut script = String::from("mount --make-rprivate / 2>/dev/null || true\nset -e\n");
    for (dir, size) in disks {
        let (dir, stage) = (quote(dir), quote(&dir.with_extension("stage")));
        script += &format!("mkdir -p {dir} {stage}\nmount -t tmpfs -o size={size} tmpfs {dir}\n");
    }
    script += "set +e\n\"$@\"\nrc=$?\nset -e\n";
    for (dir, _) in disks {
        let (dir, stage) = (quote(dir), quote(&dir.with_extension("stage")));
        script += &format!("cp -a {dir}/. {stage}/\numount {dir}\ncp -a {stage}/. {dir}/\nrm -rf {stage}\n");
    }
    script += "exit $rc\n";
    // Root mounts in a mount namespace of its own (also inside a chroot, where user namespaces are
    // refused); anyone else first becomes root of a user namespace.
    let namespaces: &[&str] = if running_as_root() {
        &["--mount", "--propagation", "unchanged"]
    } else {
        &["--user", "--map-root-user", "--mount", "--propagation", "unchanged"]
    };
    Command::new("unshare")
        // These disks are small and the rigs' thresholds are what is tested: no site default.
        .env_remove("AXVS_MIN_FREE_SPACE")
        .args(namespaces)
        .args(["sh", "-c", &script, "sh"])
        .arg(axvs_tests::axvs_bin())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run unshare")
}

/// The top of a rig whose videos go to `<dir>/video` and logs to `<dir>/logs` (each its own small disk in
/// [`run_small`]), keeping `min_free_space` free when given.
fn disks_top(dir: &Path, min_free_space: Option<&str>) -> String {
    let mut top = format!(
        "output_dir = \"{}\"\nlog_dir = \"{}\"",
        dir.join("video").display(),
        dir.join("logs").display()
    );
    if let Some(min) = min_free_space {
        top += &format!("\nmin_free_space = \"{min}\"");
    }
    top
}

/// A camera fast enough to fill a few MB in seconds: 320x240 mono at 60 fps, encoded at qp 0.
fn heavy_rig(top: &str) -> String {
    format!(
        "{top}\n[encoder]\npreset = 1\nqp = 0\npixel_format = \"gray\"\n[[camera]]\nid = 3\nname = \"small\"\n\
         backend = \"synthetic\"\nwidth = 320\nheight = 240\nfps = 60\npixel_format = \"mono8\"\n"
    )
}

/// Runs `rig` for up to `seconds` with its videos in `<dir>/video` and its logs in `<dir>/logs`, each on its
/// own small disk; returns the output and the report.
fn run_small(
    dir: &Path,
    rig: &str,
    video_disk: &str,
    log_disk: &str,
    seconds: &str,
) -> (std::process::Output, PathBuf) {
    let rig = write_rig(dir, "rig.toml", rig);
    let report = dir.join("report.json");
    let out = run_on_small_disks(
        &[(&dir.join("video"), video_disk), (&dir.join("logs"), log_disk)],
        &[
            "run".as_ref(),
            "--status-interval".as_ref(),
            "0".as_ref(),
            "--session".as_ref(),
            "s".as_ref(),
            "--duration".as_ref(),
            seconds.as_ref(),
            "--report".as_ref(),
            report.as_os_str(),
            rig.as_os_str(),
        ],
    );
    (out, report)
}

/// Runs `axvs recover` on the session `s` that [`run_small`] recorded under `dir`, writing the archives to
/// `<dir>/archives` (the log's disk being full); returns that folder.
fn recover_elsewhere(dir: &Path) -> PathBuf {
    let archives = dir.join("archives");
    let out = axvs()
        .arg("recover")
        .arg(dir.join("video/s/data"))
        .arg("--log-dir")
        .arg(dir.join("logs/s/data"))
        .arg("--out-dir")
        .arg(&archives)
        .output()
        .expect("axvs recover");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    archives
}

/// Asserts that the run of [`run_small`] under `dir` finished its one camera whole after more than `more_than`
/// saved frames: counts agree with the files, the video holds every saved frame, the archive is written.
fn assert_finished_whole(dir: &Path, report: &Path, more_than: u64) {
    let cam = only_camera(report);
    let saved = counts_agree(&cam);
    assert!(saved > more_than, "{cam}");
    assert_eq!(cam["video_frames"].as_u64(), Some(saved));
    assert!(dir.join("logs/s/data/3_log.npz").exists(), "the archive is written");
}

/// One camera's entry in a report.
fn only_camera(report: &Path) -> serde_json::Value {
    let report = read_report(report);
    report["cameras"][0].clone()
}

#[test]
fn recording_stops_cleanly_before_the_video_disk_fills() {
    let dir = tempfile::tempdir().expect("tempdir");
    let top = disks_top(dir.path(), Some("3MB"));
    // 2 MB to fill above the threshold: about 10 s of this camera (5 MB took 25 s).
    let (out, report) = run_small(dir.path(), &heavy_rig(&top), "5m", "8m", "60");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("recording stopped early:") && stderr.contains("kept free (min_free_space = \"3.0 MB\")"),
        "{stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "no terminal colour codes in a pipe: {stderr}"
    );
    assert_finished_whole(dir.path(), &report, 30);
}

/// A small disk that the camera fills within about two seconds (8 MB at 4-5 MB/s, the default threshold of
/// 6 %): the guard, looking ahead by how fast the disk fills, stops the run while every file can still be
/// finished.
#[test]
fn a_disk_filling_within_seconds_still_stops_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let top = disks_top(dir.path(), None);
    // FFV1 at 640x480, 30 fps: several MB a second.
    let rig = format!(
        "{top}\n[encoder]\ncodec = \"ffv1\"\npixel_format = \"gray\"\n[[camera]]\nid = 3\nname = \"small\"\n\
         backend = \"synthetic\"\nwidth = 640\nheight = 480\nfps = 30\npixel_format = \"mono8\"\n"
    );
    let (out, report) = run_small(dir.path(), &rig, "8m", "8m", "60");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("recording stopped early:"), "{stderr}");
    assert!(
        !stderr.contains("No space left on device"),
        "the disk never filled: {stderr}"
    );
    assert_finished_whole(dir.path(), &report, 10);
    assert!(
        stderr.contains("fills at") && stderr.contains("within 1 s it would fall below"),
        "{stderr}"
    );
}

#[test]
fn a_run_does_not_start_on_a_disk_already_below_its_threshold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let top = format!(
        "output_dir = \"{}\"\nmin_free_space = \"50MB\"",
        dir.path().join("video").display(),
    );
    let (out, _) = run_small(dir.path(), &heavy_rig(&top), "8m", "8m", "1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot start:") && stderr.contains("video has 8.4 MB free"),
        "{stderr}"
    );
    assert!(!dir.path().join("video/s").exists(), "nothing recorded");
}

#[test]
fn a_full_log_disk_stops_that_cameras_saving_and_no_frame_counts_saved_without_its_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The guard off: the log's disk fills for real (12 KiB: the manifest's page and two for the log).
    let top = disks_top(dir.path(), Some("0"));
    let rig = RIG.replace("fps = 30", "fps = 200");
    let (out, report) = run_small(dir.path(), &format!("{top}\n{rig}"), "64m", "12k", "20");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("003.axvslog") && stderr.contains("No space left on device"),
        "{stderr}"
    );
    for noise in ["ZipWriter", "panicked", "\u{1b}["] {
        assert!(!stderr.contains(noise), "{noise}: {stderr}");
    }
    assert!(
        stderr.contains("axvs recover"),
        "the error says how to get the archive: {stderr}"
    );
    let cam = only_camera(&report);
    let status = &cam["status"];
    let count = |v: &serde_json::Value| v.as_u64().expect("count");
    let (acquired, saved, unlogged) = (
        count(&status["acquired"]),
        count(&status["saved"]),
        count(&status["unlogged"]),
    );
    let dropped = &status["dropped"];
    assert!(
        count(&dropped["log_error"]) > 0,
        "saving stopped when the log failed: {status}"
    );
    assert_eq!(
        acquired,
        saved
            + unlogged
            + ["saving_off", "queue_full", "encoder_error", "log_error"]
                .iter()
                .map(|k| count(&dropped[*k]))
                .sum::<u64>(),
        "{status}"
    );
    assert!(acquired < 20 * 200, "the run ended when the camera failed: {status}");
    // Saved frames are exactly the frames the log holds; the video also has the unlogged ones.
    let log = axvs_log::read_log(&dir.path().join("logs/s/data/003.axvslog")).expect("log");
    let logged = log.entries.iter().filter(|e| e.is_frame()).count() as u64;
    assert_eq!(logged, saved, "{status}");
    let video = axvs_tests::probe(&dir.path().join("video/s/data/003.mp4"));
    assert_eq!(video.decode_errors(), "");
    assert_eq!(video.frame_count(), saved + unlogged);
    assert_eq!(cam["video_frames"].as_u64(), Some(saved + unlogged));

    // The archive could not be written on the full disk; recover writes it elsewhere, video frames all in.
    let archive = axvs_log::npz::read_archive(&recover_elsewhere(dir.path()).join("3_log.npz")).expect("archive");
    let archived: Vec<u64> = archive.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect();
    axvs_tests::assert_pts_equal_logged(&video, &archived, "recovered");
}

/// The video's disk fills for real (the guard off): the last fragment is torn. A frame counts as saved only
/// when it is in the file: the report's `saved` and `video_frames`, the archive and the video agree frame
/// for frame, and `axvs recover` finds nothing to change.
#[test]
fn a_full_video_disk_fails_that_camera_and_counts_only_what_the_video_holds() {
    let dir = tempfile::tempdir().expect("tempdir");
    let top = disks_top(dir.path(), Some("0"));
    let (out, report) = run_small(dir.path(), &heavy_rig(&top), "2m", "8m", "30");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(
        stderr.matches("encoding failed: writing").count(),
        2,
        "the failure is told once as it happens, once as the run's error: {stderr}"
    );
    assert!(!stderr.contains(" ERROR "), "no log line repeats it: {stderr}");
    assert!(
        stderr.contains("the free-space guard is off (min_free_space = \"0\"), so the disk will fill"),
        "the estimate says the guard will not stop it: {stderr}"
    );
    for noise in ["ZipWriter", "panicked", "\u{1b}["] {
        assert!(!stderr.contains(noise), "{noise}: {stderr}");
    }
    let cam = only_camera(&report);
    let video = axvs_tests::probe(&dir.path().join("video/s/data/003.mp4"));
    let decoded = video.frame_count();
    assert!(decoded > 0, "{cam}");
    assert_eq!(
        cam["video_frames"].as_u64(),
        Some(decoded),
        "the report counts what the video holds: {cam}"
    );
    let status = &cam["status"];
    assert_eq!(
        status["saved"].as_u64(),
        Some(decoded),
        "saved means in the video: {status}"
    );
    let names = names(&dir.path().join("logs/s/data"));
    assert!(names.iter().all(|n| !n.contains("partial")), "{names:?}");
    let archive = axvs_log::npz::read_archive(&dir.path().join("logs/s/data/3_log.npz")).expect("the run's archive");
    let archived: Vec<u64> = archive.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect();
    axvs_tests::assert_pts_equal_logged(&video, &archived, "the run's archive");
    // Reconciled already: recover changes nothing.
    let out = axvs()
        .arg("recover")
        .arg(dir.path().join("video/s/data"))
        .arg("--log-dir")
        .arg(dir.path().join("logs/s/data"))
        .output()
        .expect("axvs recover");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("already has its archive, which holds exactly its video's frames"),
        "{stdout}"
    );

    // `axvs export` refuses the log of a run that ended with errors: its archive would overstate the video.
    let logs = dir.path().join("logs/s/data");
    std::fs::remove_file(logs.join("3_log.npz")).expect("remove the archive");
    let export = axvs()
        .arg("export")
        .arg(logs.join("003.axvslog"))
        .output()
        .expect("axvs export");
    let said = String::from_utf8_lossy(&export.stderr);
    assert!(!export.status.success() && said.contains("axvs recover"), "{said}");
    assert!(!logs.join("3_log.npz").exists());
    // An archive that overstates its video (as runs wrote before the fix: every logged frame), made with the
    // library: recover finds it, keeps it aside and writes the video's frames; readers then read that.
    axvs_log::npz::export_log(&logs.join("003.axvslog"), &logs).expect("an overstated archive");
    let out = axvs()
        .arg("recover")
        .arg(dir.path().join("video/s/data"))
        .arg("--log-dir")
        .arg(&logs)
        .output()
        .expect("axvs recover");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("disagreed with its video"), "{stdout}");
    let aside = axvs_log::npz::read_archive(&logs.join("3_log.npz.disagreed")).expect("kept aside");
    assert!(
        aside.iter().filter(|e| e.is_frame()).count() as u64 > decoded,
        "the overstated archive"
    );
    let archive = axvs_log::npz::read_archive(&logs.join("3_log.npz")).expect("rewritten");
    let archived: Vec<u64> = archive.iter().filter(|e| e.is_frame()).map(|e| e.time_us).collect();
    axvs_tests::assert_pts_equal_logged(&video, &archived, "the recovered archive");
    let csv = dir.path().join("times.csv");
    let out = axvs()
        .arg("timestamps")
        .arg(logs.join("003.axvslog"))
        .arg("-o")
        .arg(&csv)
        .output()
        .expect("axvs timestamps");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows = std::fs::read_to_string(&csv).expect("csv").lines().count() as u64 - 1;
    assert_eq!(rows, decoded, "one row per frame of the video");
}

/// The second camera's log cannot take its onset (its disk, 8 KiB of tmpfs, holds the manifest's page and
/// the first camera's): that camera fails to start and ends the run before any camera saved a frame (saving
/// starts on all together, once all stream), so nothing is left half-recorded. (Frame shapes an encoder
/// refuses no longer reach a start: check and run refuse them first.)
#[test]
fn a_camera_that_fails_to_start_stops_the_run_before_any_camera_saves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let top = disks_top(dir.path(), Some("0"));
    let rig = format!(
        "{top}\n[encoder]\npreset = 1\n[[camera]]\nid = 1\nname = \"fine\"\nbackend = \"synthetic\"\nwidth = 160\n\
         height = 120\n[[camera]]\nid = 2\nname = \"second\"\nbackend = \"synthetic\"\nwidth = 160\nheight = 120\n"
    );
    let (out, report) = run_small(dir.path(), &rig, "64m", "8k", "1");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("camera 2 'second'") && err.contains("002.axvslog"),
        "{err}"
    );
    // Both cameras are in the report: the first streamed but saved nothing, and left no file behind; the
    // second has an error.
    let report = read_report(&report);
    let cameras = report["cameras"].as_array().expect("cameras");
    assert_eq!(cameras.len(), 2, "{report}");
    let fine = &cameras[0];
    assert_eq!(fine["status"]["id"], 1, "{report}");
    assert_eq!(fine["status"]["saved"], 0, "{report}");
    assert_eq!(counts_agree(fine), 0, "{report}");
    assert!(
        !dir.path().join("video/s/data/001.mp4").exists(),
        "no empty file for the camera that saved nothing"
    );
    assert_eq!(fine["state"], "stopped", "{report}");
    let second = &cameras[1];
    assert_eq!(second["status"]["id"], 2, "{report}");
    assert!(
        second["state"]
            .as_str()
            .is_some_and(|s| s.starts_with("failed: ") && s.contains("No space left on device")),
        "{report}"
    );
    assert_eq!(second["status"]["saved"], 0, "{report}");
    assert!(
        second["errors"][0]
            .as_str()
            .is_some_and(|e| e.contains("No space left on device")),
        "{report}"
    );
    assert!(
        !dir.path().join("video/s/data/002.mp4").exists(),
        "no empty file for the camera that never started"
    );
}
