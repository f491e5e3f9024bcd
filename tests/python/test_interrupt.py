"""Ctrl-C (SIGINT) during a session from Python stops it cleanly, every file finished."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import axvs
from conftest import video_frames

SCRIPTS = {
    # The session in a with block, waited on: KeyboardInterrupt leaves the block, which stops the session.
    "with": """
import sys, axvs
with axvs.Session(sys.argv[1], preview=False) as s:
    print("recording", flush=True)
    s.wait()
""",
    # No with block, the main thread asleep in Python: the interpreter ends with KeyboardInterrupt, and the
    # package's exit hook stops the session.
    "bare": """
import sys, time, axvs
s = axvs.Session(sys.argv[1], preview=False).start()
print("recording", flush=True)
while True:
    time.sleep(0.05)
""",
}


def run_and_interrupt(tmp_path: Path, rig_text: str, script: str) -> Path:
    rig = tmp_path / "rig.toml"
    rig.write_text(rig_text)
    child = subprocess.Popen([sys.executable, "-c", script, str(rig)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env=os.environ)
    assert child.stdout.readline().strip() == "recording", child.stderr.read()
    sessions = [d / "data" for d in tmp_path.iterdir() if d.is_dir()]
    deadline = time.monotonic() + 20
    # Interrupted once frames are saved (a session stopped before its first frame has nothing to finish).
    while not any(f.suffix == ".axvslog" and f.stat().st_size > 200 for d in sessions for f in d.iterdir()):
        assert time.monotonic() < deadline, "no frames logged"
        time.sleep(0.05)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=30)
    assert "KeyboardInterrupt" in err, err
    [session] = sessions
    return session


def check_finished(session: Path) -> None:
    report = json.loads((session / "axvs_report.json").read_text())
    for cam in report["cameras"]:
        times = axvs.extract_logged_camera_timestamps(cam["archive"])
        assert len(times) == cam["status"]["saved"] == video_frames(Path(cam["video"])) > 0, cam
        assert np.all(np.diff(times.astype(np.int64)) > 0)


def test_ctrl_c_in_a_with_block_finishes_every_file(tmp_path: Path, rig_text: str) -> None:
    check_finished(run_and_interrupt(tmp_path, rig_text, SCRIPTS["with"]))


def test_ctrl_c_without_a_with_block_finishes_every_file(tmp_path: Path, rig_text: str) -> None:
    check_finished(run_and_interrupt(tmp_path, rig_text, SCRIPTS["bare"]))
