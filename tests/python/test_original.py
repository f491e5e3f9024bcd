"""The original's names: a script written for ataraxis-video-system runs with its imports changed to axvs,
and what it writes reads in the original's own extractor, which axvs' matches exactly on the same archives.

The original (ataraxis-video-system 5.2, from PyPI) runs in its own environment (`./dev` makes it:
AXVS_ORIGINAL_PYTHON), since it needs Python 3.12 and its own dependencies.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import yaml

import axvs
from conftest import video_frames

# The original's README quick start, condensed; `{imports}` is the only line that differs between the two.
SCRIPT = """
import sys, time
from pathlib import Path
import numpy as np
{imports}

if __name__ == "__main__":
    output_directory = Path(sys.argv[1])
    logger = DataLogger(output_directory=output_directory, instance_name="webcam")
    logger.start()
    vs = VideoSystem(
        system_id=np.uint8(101), data_logger=logger, name="webcam", output_directory=output_directory,
        camera_interface=CameraInterfaces.MOCK, color=False, video_encoder=VideoEncoders.H264,
        encoder_speed_preset=EncoderSpeedPresets.FASTEST, output_pixel_format=OutputPixelFormats.YUV420,
        quantization_parameter=25,
    )
    vs.start()
    time.sleep(0.3)
    vs.start_frame_saving()
    time.sleep(1.0)
    vs.stop_frame_saving()
    status = vs.status().cameras[0]
    print("acquired", status.acquired, "saved", status.saved, "saving_off", status.dropped.saving_off)
    vs.stop()
    logger.stop()
    assemble_log_archives(remove_sources=True, log_directory=logger.output_directory, verbose=True)
    print(vs.video_file_path)
"""
ORIGINAL_IMPORTS = (
    "from ataraxis_data_structures import DataLogger, assemble_log_archives\n"
    "from ataraxis_video_system import VideoSystem, CameraInterfaces, VideoEncoders, EncoderSpeedPresets, "
    "OutputPixelFormats"
)
AXVS_IMPORTS = (
    "from axvs import DataLogger, assemble_log_archives\n"
    "from axvs import VideoSystem, CameraInterfaces, VideoEncoders, EncoderSpeedPresets, OutputPixelFormats"
)

ORIGINAL_EXTRACT = """
import sys
from pathlib import Path
import numpy as np
from ataraxis_video_system import extract_logged_camera_timestamps
times = extract_logged_camera_timestamps(Path(sys.argv[1]), workers=int(sys.argv[3]), display_progress=False)
np.save(sys.argv[2], times)
"""

# Written by the original's own logger: an onset, frames, and data entries with payloads that are not frames.
ORIGINAL_LOG = """
import sys
from pathlib import Path
import numpy as np
from ataraxis_data_structures import DataLogger, LogPackage, assemble_log_archives
logger = DataLogger(output_directory=Path(sys.argv[1]), instance_name="original")
logger.start()
def put(t, payload):
    logger.input_queue.put(LogPackage(source_id=np.uint8(7), acquisition_time=np.uint64(t),
                                      serialized_data=np.frombuffer(payload, dtype=np.uint8).copy()))
put(0, np.uint64(1_765_000_000_000_000).tobytes())
for i in range(1, int(sys.argv[2]) + 1):
    put(i * 33_333 + (i % 7), b"")
    if i % 100 == 0:
        put(i * 33_333 + 17, b"data")  # never a frame's time: the original keys entries by time
logger.stop()
assemble_log_archives(log_directory=logger.output_directory, remove_sources=True)
print(logger.output_directory / "7_log.npz")
"""


def original(script: str, *args: str) -> str:
    python = os.environ["AXVS_ORIGINAL_PYTHON"]
    out = subprocess.run([python, "-c", script, *args], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def original_times(archive: Path, tmp_path: Path, workers: int = 1) -> np.ndarray:
    saved = tmp_path / f"original_{archive.stem}_{workers}.npy"
    original(ORIGINAL_EXTRACT, str(archive), str(saved), str(workers))
    return np.load(saved)


def test_a_script_written_for_the_original_runs_with_its_imports_changed(tmp_path: Path) -> None:
    script = SCRIPT.format(imports=AXVS_IMPORTS)
    out = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    lines = out.stdout.strip().splitlines()
    video = Path(lines[-1])
    counts = lines[-2].split()
    acquired, saved, saving_off = int(counts[1]), int(counts[3]), int(counts[5])
    # Saving is off after start(), as in the original: the frames before start_frame_saving are not saved.
    assert saving_off > 0 and acquired >= saved + saving_off, lines[-2]
    assert video == tmp_path / "101.mp4", "the original's video path"
    log_dir = tmp_path / "webcam_data_log"
    archive = log_dir / "101_log.npz"
    manifest = yaml.safe_load((log_dir / "camera_manifest.yaml").read_text())
    assert manifest["sources"] == [{"id": 101, "name": "webcam"}], manifest
    theirs = original_times(archive, tmp_path)
    ours = axvs.extract_logged_camera_timestamps(archive)
    assert theirs.dtype == ours.dtype == np.uint64
    assert np.array_equal(theirs, ours)
    assert len(ours) == video_frames(video) > 10
    assert ORIGINAL_IMPORTS.count("\n") == AXVS_IMPORTS.count("\n"), "only the import lines differ"


def test_extraction_matches_the_original_on_its_own_archives(tmp_path: Path) -> None:
    # 2,500 entries: the original extracts in parallel batches from 2,000 on, sequentially below.
    archive = Path(original(ORIGINAL_LOG, str(tmp_path), "2500").strip().splitlines()[-1])
    ours = axvs.extract_logged_camera_timestamps(archive)
    for workers in (1, 2):
        theirs = original_times(archive, tmp_path, workers)
        assert np.array_equal(theirs, ours), (workers, theirs[:5], ours[:5])
    assert len(ours) == 2500
    assert ours.flags["C_CONTIGUOUS"] and not ours.flags["OWNDATA"], "handed over, not copied"


def test_read_camera_configuration_reads_what_axvs_genicam_dump_writes(tmp_path: Path) -> None:
    # EMVA's simulated GenTL producer (viky.cti) stands in for the original's Harvesters camera.
    os.environ["AXVS_CTI_PATH"] = os.environ["AXVS_TEST_CTI"]
    config = axvs.read_camera_configuration(0)
    assert isinstance(config, axvs.GenicamConfiguration) and config.nodes
    assert all(isinstance(n, axvs.GenicamNodeInfo) for n in config.nodes)
    assert not {n.name for n in config.nodes} & axvs.DEFAULT_BLACKLISTED_NODES
    dumped = tmp_path / "viky.yaml"
    cli = subprocess.run([os.environ["AXVS_BIN"], "genicam", "--gentl", "--index", "0", "dump", str(dumped)],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stderr
    written = yaml.safe_load(dumped.read_text())
    assert written["camera_model"] == config.camera_model
    assert written["camera_serial_number"] == config.camera_serial_number
    assert [(n["name"], n["value"]) for n in written["nodes"]] == [(n.name, n.value) for n in config.nodes]
