"""The readers labs use get exactly the saved frames: each reader decodes every video of a matrix (a paced and
an unpaced synthetic camera, H.264 and H.265 with B-frames, MP4 and Matroska, exact and nominal timing) and
its frames' counters (drawn in the pixels by the synthetic camera) must be the saved frames, in order, none
twice and none missing. With `timing = "nominal"` every reader is exact; with exact timing (each frame shown
at its acquisition time, a variable rate) the readers that follow the file's times are, and the `ffmpeg`
command line (and imageio-ffmpeg, which runs it) is with `-fps_mode passthrough`; OpenCV's frame count is
exact with nominal timing only (README: which reader needs what)."""

import glob
import json
import random
import re
import subprocess
from pathlib import Path

import cv2
import decord
import imageio.v3 as iio
import imageio_ffmpeg
import av
import numpy as np
import pytest

from conftest import axvs_cli

WIDTH, HEIGHT = 256, 128
CAMERAS = {  # id: (name, codec, paced)
    1: ("paced_h264", "h264", True),
    2: ("unpaced_h264", "h264", False),
    3: ("paced_h265", "h265", True),
    4: ("unpaced_h265", "h265", False),
}


def counter(gray: np.ndarray) -> int:
    """The synthetic camera's frame counter: 32 cells across the top band, read at their centres (as
    axvs_core::decode_counter)."""
    cell = gray.shape[1] // 32
    row = min(max(gray.shape[0] // 16, 4), 32) // 2
    value = 0
    for bit in range(32):
        value = (value << 1) | int(gray[row, bit * cell + cell // 2] > 128)
    return value


def grey(frame) -> np.ndarray:
    frame = np.asarray(frame)
    return frame if frame.ndim == 2 else frame[..., 0]


def rig(out: Path, container: str, timing: str) -> str:
    text = f'output_dir = "{out}"\nmin_free_space = "0"\n'
    for cid, (name, codec, paced) in CAMERAS.items():
        text += (
            f'[[camera]]\nid = {cid}\nname = "{name}"\nbackend = "synthetic"\nwidth = {WIDTH}\nheight = {HEIGHT}\n'
            f'fps = 30\npixel_format = "mono8"\n'
        )
        if not paced:
            # As fast as the encoder takes them (it holds the camera back): uneven times.
            text += 'paced = false\nframes = 150\noverflow = "block"\nqueue_depth = 2\n'

        text += f'[camera.encoder]\ncodec = "{codec}"\ncontainer = "{container}"\ntiming = "{timing}"\n'
    return text


@pytest.fixture(scope="module", params=[("mp4", "exact"), ("mkv", "exact"), ("mp4", "nominal"), ("mkv", "nominal")],
                ids=lambda p: "-".join(p))
def recording(request, tmp_path_factory):
    """One session of the four cameras; yields (timing, {name: (video, saved frames)})."""
    container, timing = request.param
    out = tmp_path_factory.mktemp(f"{container}-{timing}")
    rig_file = out / "rig.toml"
    rig_file.write_text(rig(out, container, timing))
    # One second: about 30 frames of each paced camera (the unpaced ones stop at their 150 frames or at the
    # end), every reader's case in each; two seconds cost a fifth more of this test's CPU for nothing more.
    run = axvs_cli("run", str(rig_file), "--duration", "1")
    assert run.returncode == 0, run.stdout + run.stderr
    session = Path(re.findall(r"session: (.+)", run.stdout + run.stderr)[-1].strip()) / "data"
    report = json.loads((session / "axvs_report.json").read_text())
    saved = {c["status"]["name"]: c["status"]["saved"] for c in report["cameras"]}
    videos = {name: (session / f"{cid:03d}.{container}", saved[name]) for cid, (name, _, _) in CAMERAS.items()}
    yield timing, videos


def truth(video: Path) -> list:
    """Every frame the file holds, in presentation order, as FFmpeg decodes them without resampling."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(video), "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt",
         "gray", "-"], capture_output=True, check=True, timeout=120).stdout
    return [counter(f.reshape(HEIGHT, WIDTH)) for f in np.frombuffer(raw, np.uint8).reshape(-1, HEIGHT * WIDTH)]


def presentation_times(video: Path) -> list:
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts",
                          "-of", "csv=p=0", str(video)], capture_output=True, text=True, check=True, timeout=60)
    return [int(line) for line in out.stdout.split()]


def ffmpeg_images(video: Path, tmp: Path, *options: str) -> list:
    """`ffmpeg -i VIDEO frames/%06d.pgm`, with its defaults (or `options`). Which frames ffmpeg writes does not
    depend on the image format; PNG's compression was a third of this test's CPU."""
    out = tmp / "frames"
    out.mkdir()
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(video), *options, str(out / "%06d.pgm")], check=True,
                   timeout=120)
    return [counter(grey(iio.imread(f))) for f in sorted(glob.glob(str(out / "*.pgm")))]


def imageio_ffmpeg_frames(video: Path, *output_params: str) -> list:
    frames = imageio_ffmpeg.read_frames(str(video), pix_fmt="gray", bpp=1, output_params=list(output_params))
    next(frames)  # the metadata
    return [counter(np.frombuffer(f, np.uint8).reshape(HEIGHT, WIDTH)) for f in frames]


def pyav_frames(video: Path) -> list:
    with av.open(str(video)) as container:
        return [counter(f.to_ndarray(format="gray")) for f in container.decode(video=0)]


def opencv_frames(video: Path) -> tuple:
    """Frames read in order, the frame count OpenCV reports, and 25 random seeks by frame number."""
    capture = cv2.VideoCapture(str(video))
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(counter(frame[..., 0]))
    seeks = {}
    for index in random.Random(7).sample(range(len(frames)), min(25, len(frames))):
        capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = capture.read()
        seeks[index] = counter(frame[..., 0]) if ok else None
    return frames, count, seeks


def decord_frames(video: Path) -> list:
    reader = decord.VideoReader(str(video))
    return [counter(reader[i].asnumpy()[..., 0]) for i in range(len(reader))]


def check(name: str, got: list, saved: list):
    assert got == saved, (f"{name}: {len(got)} frames for {len(saved)} saved, "
                          f"{len(got) - len(set(got))} twice, {len(set(saved) - set(got))} missing")


@pytest.mark.parametrize("camera", [c[0] for c in CAMERAS.values()])
def test_every_reader_returns_exactly_the_saved_frames(recording, camera, tmp_path):
    timing, videos = recording
    video, saved_count = videos[camera]
    saved = truth(video)
    assert len(saved) == saved_count, "the video holds every saved frame"
    assert all(a < b for a, b in zip(saved, saved[1:])), "in order"
    # Readers that follow the file's own times: exact with either timing.
    check("PyAV", pyav_frames(video), saved)
    check("imageio (pyav plugin)", [counter(grey(f)) for f in iio.imiter(video, plugin="pyav")], saved)
    for k in (0, len(saved) // 2, len(saved) - 1):
        one = iio.imread(video, index=k, plugin="pyav", constant_framerate=False)
        assert counter(grey(one)) == saved[k], f"imageio (pyav plugin), frame {k} by index"
    frames, count, seeks = opencv_frames(video)
    check("OpenCV", frames, saved)
    check("ffmpeg -fps_mode passthrough", ffmpeg_images(video, tmp_path, "-fps_mode", "passthrough"), saved)
    check("imageio-ffmpeg, passthrough", imageio_ffmpeg_frames(video, "-fps_mode", "passthrough"), saved)
    passthrough = iio.imiter(video, plugin="FFMPEG", output_params=["-fps_mode", "passthrough"])
    check("imageio (ffmpeg plugin), passthrough", [counter(grey(f)) for f in passthrough], saved)
    # Readers that find a frame by its time: exact unless frames share a time, which only Matroska's
    # milliseconds make them do with exact timing (the unpaced camera's frames come faster than 1 kHz at
    # first, while the encoder fills its look-ahead).
    if len(set(presentation_times(video))) == len(saved):
        check("decord", decord_frames(video), saved)
        assert all(seeks[i] == saved[i] for i in seeks), f"OpenCV seeks: {seeks}"
    else:
        assert video.suffix == ".mkv" and timing == "exact", "only exact times in ms can coincide"
        # decord still opens the file and counts every frame: the track declares the camera's rate (uneven
        # first times left Matroska's mean rate undefined, and decord refused such a file).
        assert len(decord.VideoReader(str(video))) == len(saved), "decord's frame count"
    if timing == "nominal":
        # Readers that resample to a constant rate, and OpenCV's count (duration x rate): exact when the
        # container's rate is constant.
        (tmp_path / "defaults").mkdir()
        check("ffmpeg with its defaults", ffmpeg_images(video, tmp_path / "defaults"), saved)
        check("imageio-ffmpeg", imageio_ffmpeg_frames(video), saved)
        check("imageio (ffmpeg plugin)", [counter(grey(f)) for f in iio.imiter(video, plugin="FFMPEG")], saved)
        assert count == len(saved), f"OpenCV's frame count {count} for {len(saved)} frames"
