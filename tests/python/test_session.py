"""A whole session from Python: typed status, saving on and off, the report, and every file consistent."""

import threading
from pathlib import Path

import numpy as np
import pytest

import axvs
from conftest import RIG, video_frames


def test_a_session_records_with_typed_status_and_a_consistent_report(tmp_path: Path, rig_text: str) -> None:
    with axvs.Session(rig_text, preview=False) as session:
        assert session.cameras == [(1, "left"), (2, "right")]
        assert session.running
        deadline = 200
        while deadline and not all(c.saved >= 10 for c in session.status().cameras):
            session.wait(0.05)
            deadline -= 1
        status = session.status()
        assert status.state == "running"
        assert isinstance(status.cameras[0], axvs.CameraStatus)
        assert isinstance(status.cameras[0].dropped, axvs.Drops)
        assert status.session_dir is not None and status.session_dir == tmp_path / status.session_dir.parent.name / "data"
        session.stop_saving(2)
        saved_off = session.status().cameras[1].saved
        session.wait(0.3)
        off = session.status().cameras[1]
        assert off.dropped.saving_off > 0 and off.saved <= saved_off + 2, off
        session.start_saving(2)
        session.wait(0.3)
    report = session.report
    assert isinstance(report, axvs.Report)
    assert report.failures == ()
    assert report.saved == sum(c["status"]["saved"] for c in report.cameras)
    for cam in report.cameras:
        st = cam["status"]
        assert st["acquired"] == st["saved"] + st["unlogged"] + sum(st["dropped"].values()), st
        times = axvs.extract_logged_camera_timestamps(cam["archive"])
        assert times.dtype == np.uint64
        assert len(times) == st["saved"] == cam["video_frames"] == video_frames(Path(cam["video"]))
        assert np.all(np.diff(times.astype(np.int64)) > 0)
    # Stopped: the status says so, and a second stop hands back the same report.
    assert session.status().state == "inactive"
    assert session.stop() is report


def test_a_rig_is_a_path_a_string_or_a_dict(tmp_path: Path, rig_text: str) -> None:
    path = tmp_path / "rig.toml"
    path.write_text(rig_text)
    as_dict = {
        "output_dir": str(tmp_path),
        "min_free_space": "0",
        "camera": [{"id": 7, "name": "dict", "backend": "synthetic", "width": 64, "height": 32, "fps": 50}],
    }
    for rig, ids in ((path, [1, 2]), (str(path), [1, 2]), (rig_text, [1, 2]), (as_dict, [7])):
        session = axvs.Session(rig, saving=False, preview=False)
        assert [i for i, _ in session.cameras] == ids
        session.start()
        session.wait(0.1)
        report = session.stop()
        assert all(c["status"]["dropped"]["saving_off"] > 0 for c in report.cameras), report.cameras
        assert all(c["archive"] is None for c in report.cameras), "nothing saved, nothing written"


def test_status_is_read_from_another_thread_while_the_main_one_waits(rig_text: str) -> None:
    seen: list = []
    errors: list = []

    def watch(session: axvs.Session) -> None:
        try:
            for _ in range(20):
                seen.append(session.status().cameras[0].acquired)
                threading.Event().wait(0.02)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    with axvs.Session(rig_text, preview=False) as session:
        watcher = threading.Thread(target=watch, args=(session,))
        watcher.start()
        session.wait(0.6)
        watcher.join(10)
    assert not errors, errors
    assert len(seen) == 20 and seen[-1] > seen[0], seen


def test_a_session_cannot_start_twice_or_change_when_stopped(rig_text: str) -> None:
    session = axvs.Session(rig_text, preview=False)
    with pytest.raises(axvs.SessionError, match="call start"):
        session.start_saving()
    session.start()
    with pytest.raises(axvs.SessionError, match="started already"):
        session.start()
    with pytest.raises(axvs.SessionError, match="no camera 9 in this session"):
        session.start_saving(9)
    session.stop()
    with pytest.raises(axvs.SessionError, match="not running"):
        session.stop_saving()


def test_the_demo_rig_is_the_default(tmp_path: Path) -> None:
    session = axvs.Session(None, output_dir=tmp_path, preview=False)
    assert len(session.cameras) >= 2


def test_processing_writes_tables_that_match_the_extractor(tmp_path: Path, rig_text: str) -> None:
    with axvs.Session(rig_text, preview=False) as session:
        session.wait(0.5)
    report = session.report
    out = tmp_path / "processed"
    outcomes = axvs.run_log_processing_pipeline(report.log_dir, out)
    assert sorted(o["source_id"] for o in outcomes) == [1, 2]
    assert all(o["status"] == "SUCCEEDED" for o in outcomes), outcomes
    for cam in report.cameras:
        table = axvs.read_timestamps_table(axvs.resolve_timestamps_path(out / "camera_timestamps", cam["status"]["id"]))
        times = axvs.extract_logged_camera_timestamps(cam["archive"])
        assert table.column("frame_time_us").to_numpy().tolist() == times.tolist()
    # Done jobs are not redone: a second run skips them.
    again = axvs.run_log_processing_pipeline(report.log_dir, out)
    assert all(o["skipped"] for o in again), again


def test_status_is_read_while_another_thread_starts_and_stops_the_session(rig_text: str) -> None:
    session = axvs.Session(rig_text, preview=False)
    states: list = []
    errors: list = []
    done = threading.Event()

    def watch() -> None:
        try:
            while not done.is_set():
                states.append(session.status().state)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    watcher = threading.Thread(target=watch)
    watcher.start()
    session.start()
    session.wait(0.3)
    session.stop()
    done.set()
    watcher.join(10)
    assert not errors, errors
    assert states[0] == "inactive" and "running" in states, set(states)
    assert session.cameras == [(1, "left"), (2, "right")], "still known after the stop"


def test_a_session_that_stops_by_itself_is_waited_for_and_reported(tmp_path: Path) -> None:
    # A camera with 30 frames: the session ends by itself (every camera ended) and finishes its files.
    rig = {"output_dir": str(tmp_path), "min_free_space": "0", "camera": [
        {"id": 4, "name": "short", "backend": "synthetic", "width": 64, "height": 32, "fps": 200, "frames": 30}]}
    with axvs.Session(rig, preview=False) as session:
        assert session.wait(60) is False, "returns when the session ended, not after 60 s"
        assert session.status().state == "stopped"
    report = session.report
    [cam] = report.cameras
    assert cam["status"]["saved"] == 30 == len(axvs.extract_logged_camera_timestamps(cam["archive"]))


def test_wait_takes_zero_forever_and_refuses_nonsense(rig_text: str) -> None:
    with axvs.Session(rig_text, preview=False) as session:
        assert session.wait(0) is True
        for bad in (-1, float("nan")):
            with pytest.raises(ValueError, match="seconds must be 0 or more"):
                session.wait(bad)
        stopper = threading.Timer(0.3, session.stop)
        stopper.start()
        assert session.wait(float("inf")) is False, "inf is forever: until the stop"
        stopper.join()


def test_a_failed_start_can_be_tried_again(tmp_path: Path) -> None:
    rig = {"output_dir": str(tmp_path), "camera": [{"id": 1, "name": "gone", "backend": "opencv", "index": 99}]}
    session = axvs.Session(rig, preview=False)
    for _ in range(2):
        with pytest.raises(axvs.SessionError) as raised:
            session.start()
        assert "started already" not in str(raised.value), raised.value


def test_metadata_and_the_rig_reach_the_sessions_provenance(tmp_path: Path, rig_text: str) -> None:
    """The same session.json as `axvs run --meta` writes: the rig's [session] table, then these."""
    text = rig_text.replace("[[camera]]", '[session]\nsubject = "m1"\nnote = "from the rig"\n\n[[camera]]', 1)
    with axvs.Session(text, preview=False, metadata={"subject": "m12", "experimenter": "A. Lab"}) as session:
        session.wait(0.3)
    provenance = __import__("json").loads((session.report.session_dir / "session.json").read_text())
    assert provenance["metadata"] == {"subject": "m12", "experimenter": "A. Lab", "note": "from the rig"}
    assert provenance["rig"]["text"] == text
    assert provenance["exit"] == "stopped" and provenance["stopped_utc"] > provenance["started_utc"]
    assert [c["name"] for c in provenance["resolved"]["cameras"]] == ["left", "right"]

