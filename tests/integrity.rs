//! Sessions that prove their integrity: each finished or recovered session is a BagIt bag that Python's
//! `bagit` (the Library of Congress' reference implementation) validates, and `axvs verify` finds every
//! change to any kind of file in it (a flipped bit, a cut, a deletion, an addition) and broken accounting.

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use axvs_tests::{axvs, copy_dir, counts_agree, read_report, rig_command, write_rig, ChildGuard};

/// Two small cameras: one into MP4, one into Matroska.
const RIG: &str = "[encoder]\npreset = 1\n\
                   [[camera]]\nid = 1\nname = \"front\"\nbackend = \"synthetic\"\nwidth = 160\nheight = 120\nfps = 30\n\
                   [[camera]]\nid = 2\nname = \"side\"\nbackend = \"synthetic\"\nwidth = 160\nheight = 120\nfps = 30\n\
                   [camera.encoder]\ncontainer = \"mkv\"\n";

fn verify(bag: &Path) -> (Option<i32>, String) {
    let out = axvs().arg("verify").arg(bag).output().expect("axvs verify");
    text(out)
}

fn text(out: Output) -> (Option<i32>, String) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), text)
}

/// Validates `bag` with Python's `bagit`; returns its error, or `None` when the bag is valid.
fn bagit_error(bag: &Path) -> Option<String> {
    let out = axvs_tests::python3()
        .args(["-c", "import bagit, sys\ntry:\n    bagit.Bag(sys.argv[1]).validate()\nexcept bagit.BagError as e:\n    print(e)\n    sys.exit(3)\n"])
        .arg(bag)
        .output()
        .expect("python3");
    match out.status.code() {
        Some(0) => None,
        Some(3) => Some(String::from_utf8_lossy(&out.stdout).into_owned()),
        _ => panic!(
            "bagit (`./dev deps` installs it): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Records the rig into `<dir>/<session>` for `seconds`; returns the bag.
fn record(dir: &Path, session: &str, seconds: &str) -> PathBuf {
    let rig = write_rig(dir, "rig.toml", RIG);
    let (mut command, report) = rig_command(dir, &rig, session, &["--duration", seconds]);
    let (code, out) = text(command.stdin(Stdio::null()).output().expect("axvs run"));
    assert_eq!(code, Some(0), "{out}");
    let report = read_report(&report);
    for camera in report["cameras"].as_array().expect("cameras") {
        assert!(counts_agree(camera) > 0, "{camera}");
    }
    let bag = dir.join(session);
    assert_eq!(report["bags"][0].as_str(), Some(bag.to_str().expect("utf-8")));
    bag
}

#[test]
fn a_sealed_session_is_a_valid_bag_and_every_change_to_any_file_is_found() {
    let dir = tempfile::tempdir().expect("dir");
    let bag = record(dir.path(), "s", "1.5");
    // Processing a sealed session puts its outputs beside data/, not in it: the bag stays as sealed.
    let (code, out) = text(axvs().arg("process").arg(&bag).output().expect("axvs process"));
    assert_eq!(code, Some(0), "{out}");
    assert!(
        bag.join("camera_timestamps/camera_1_timestamps.feather").is_file(),
        "{out}"
    );
    let (code, out) = verify(&bag);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains(": whole: 15 files"),
        "11 payload files and 4 tag files: {out}"
    );
    assert_eq!(bagit_error(&bag), None);
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).expect("bag-info");
    assert!(info.contains("Axvs-Camera: camera 1 'front': acquired"), "{info}");
    // The MP4's digest was computed as the muxer wrote it (no second read of the video: verify's reading
    // agreed with it above), and so were the logs' and sidecars' as the log writer wrote them; Matroska's
    // muxer rewrites its header at the end, so that file was read again, and so were the archives (zipped
    // with seeks) and the small files written at the end.
    let certificate: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bag.join("axvs-certificate.json")).expect("certificate"))
            .expect("JSON");
    assert_eq!(
        certificate["files"]["data/001.mp4"]["hashed_as_written"], true,
        "{certificate}"
    );
    assert_eq!(
        certificate["files"]["data/002.mkv"]["hashed_as_written"], false,
        "{certificate}"
    );
    for written in [
        "data/001.axvslog",
        "data/002.axvslog",
        "data/001.axvsdev",
        "data/002.axvsdev",
    ] {
        assert_eq!(
            certificate["files"][written]["hashed_as_written"], true,
            "{written}: {certificate}"
        );
    }
    assert_eq!(
        certificate["files"]["data/1_log.npz"]["hashed_as_written"], false,
        "{certificate}"
    );
    // The payload is the session as the original's readers know it: its manifest and archives together.
    for name in [
        "camera_manifest.yaml",
        "1_log.npz",
        "2_log.npz",
        "001.mp4",
        "002.mkv",
        "session.json",
    ] {
        assert!(bag.join("data").join(name).is_file(), "{name}");
    }

    // A flipped bit in every kind of file, payload and tag files alike.
    let kinds = [
        "data/001.mp4",
        "data/002.mkv",
        "data/001.axvslog",
        "data/002.axvsdev",
        "data/1_log.npz",
        "data/camera_manifest.yaml",
        "data/session.json",
        "data/axvs_report.json",
        "bagit.txt",
        "bag-info.txt",
        "manifest-sha256.txt",
        "axvs-certificate.json",
    ];
    for (n, file) in kinds.iter().enumerate() {
        let copy = dir.path().join(format!("flip{n}"));
        copy_dir(&bag, &copy);
        let path = copy.join(file);
        let mut bytes = std::fs::read(&path).expect("read");
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x01;
        std::fs::write(&path, bytes).expect("write");
        let (code, out) = verify(&copy);
        assert_eq!(code, Some(1), "{file}: {out}");
        assert!(out.contains(&format!("altered: {file} (")), "{file}: {out}");
        if n == 0 {
            assert!(bagit_error(&copy).is_some(), "bagit finds it too");
        }
    }

    // Cut short, deleted, added.
    let copy = dir.path().join("changed");
    copy_dir(&bag, &copy);
    let video = copy.join("data/001.mp4");
    let size = std::fs::metadata(&video).expect("video").len();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&video)
        .and_then(|f| f.set_len(size / 2))
        .expect("truncate");
    std::fs::remove_file(copy.join("data/2_log.npz")).expect("delete");
    std::fs::write(copy.join("data/notes.txt"), "added later").expect("add");
    let (code, out) = verify(&copy);
    assert_eq!(code, Some(1), "{out}");
    for line in [
        format!("truncated: data/001.mp4 ({} of its {size} bytes)", size / 2),
        "missing: data/2_log.npz".into(),
        "extra: data/notes.txt (not in the manifest)".into(),
        "accounting: camera 1 'front': its video holds".into(),
    ] {
        assert!(out.contains(&line), "{line}: {out}");
    }
    assert!(out.contains(&format!("{}: 4 difference(s)", copy.display())), "{out}");

    // Several sessions: each checked, the whole ones said whole, the exit code for all.
    let out = axvs()
        .arg("verify")
        .arg(&bag)
        .arg(&copy)
        .arg(bag.join("data"))
        .output()
        .expect("verify");
    let (code, out) = text(out);
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(
        out.matches(": whole:").count(),
        2,
        "a session's data/ names its bag: {out}"
    );
    assert!(out.contains("1 of 3 sessions differ"), "{out}");
}

/// A forger who rewrites the manifests (as `bagit` does for a bag whose files changed) still leaves the
/// counts: a camera's video swapped for another recording's holds other frames than it saved.
#[test]
fn a_video_swapped_with_rewritten_manifests_breaks_the_accounting() {
    let dir = tempfile::tempdir().expect("dir");
    let bag = record(dir.path(), "long", "2");
    let other = record(dir.path(), "short", "0.6");
    std::fs::copy(other.join("data/001.mp4"), bag.join("data/001.mp4")).expect("swap");
    axvs_tests::python(
        "import bagit, sys\nbagit.Bag(sys.argv[1]).save(manifests=True)\n",
        &[&bag],
        "bagit",
    );
    let (code, out) = verify(&bag);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("accounting: camera 1 'front': its video holds"), "{out}");
    assert!(!out.contains("camera 2"), "{out}");
}

#[test]
fn a_killed_session_is_sealed_by_recover_and_then_verifies() {
    let dir = tempfile::tempdir().expect("dir");
    let rig = write_rig(dir.path(), "rig.toml", RIG);
    let (mut command, _) = rig_command(dir.path(), &rig, "killed", &[]);
    let mut child = ChildGuard::new(
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn"),
    );
    let bag = dir.path().join("killed");
    let log = bag.join("data/001.axvslog");
    axvs_tests::wait_until("frames logged", Duration::from_secs(30), || {
        std::fs::metadata(&log).is_ok_and(|m| m.len() > 2000)
    });
    assert!(axvs_tests::send_signal(child.child().id(), "KILL"));
    let _ = child.take().wait();

    let (code, out) = verify(&bag);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("not a sealed session") && out.contains("axvs recover"),
        "{out}"
    );
    let out = axvs().arg("recover").arg(&bag).output().expect("recover");
    let (code, out) = text(out);
    assert_eq!(code, Some(0), "{out}");
    let (code, out) = verify(&bag);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(bagit_error(&bag), None);
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).expect("bag-info");
    assert!(
        info.contains("Axvs-Camera: camera 1 'front': saved") && info.contains("(recovered: acquired unknown)"),
        "{info}"
    );
    // Recovering again changes nothing: the seal stays the first recovery's.
    let sealed = std::fs::read(bag.join("axvs-certificate.json")).expect("certificate");
    let (code, out) = text(axvs().arg("recover").arg(&bag).output().expect("recover"));
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(
        std::fs::read(bag.join("axvs-certificate.json")).expect("certificate"),
        sealed
    );
}
