"""Shared fixtures of the Python package's tests (run by tests/python.rs, with the built package on
PYTHONPATH and the `axvs` binary in AXVS_BIN)."""

import os
import subprocess
from pathlib import Path

import pytest

RIG = """
[[camera]]
id = 1
name = "left"
backend = "synthetic"
width = 96
height = 64
fps = 40
pixel_format = "bgr8"

[[camera]]
id = 2
name = "right"
backend = "synthetic"
width = 64
height = 48
fps = 30
pixel_format = "mono8"
"""


@pytest.fixture
def rig_text(tmp_path: Path) -> str:
    """Two synthetic cameras recording into tmp_path (min_free_space off: test disks are small)."""
    return f'output_dir = "{tmp_path}"\nmin_free_space = "0"\n' + RIG


def axvs_cli(*args: str) -> subprocess.CompletedProcess:
    """Runs the `axvs` binary built with the package."""
    return subprocess.run([os.environ["AXVS_BIN"], *args], capture_output=True, text=True, timeout=120)


def video_frames(path: Path) -> int:
    """Frames in a video, counted by ffprobe (packets: every frame is one)."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-count_packets", "-show_entries",
         "stream=nb_read_packets", "-of", "csv=p=0", str(path)],
        capture_output=True, text=True, check=True, timeout=60,
    )
    return int(out.stdout.strip())
