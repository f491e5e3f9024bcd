"""The original's (ataraxis-video-system's) public names, over axvs: a script written for the original runs
with its import lines changed to ``axvs``.

``VideoSystem`` records one camera into the original's layout: the video at
``<output_directory>/<id, three digits>.mp4``, the timestamps in ``<data_logger.output_directory>/<id>_log.npz``
(the original's archive format, read by its own ``extract_logged_camera_timestamps``), beside
``camera_manifest.yaml``. Frames stay in the recorder's memory inside one process, never pickled, in a
bounded queue; the archive is written when the camera stops, so ``assemble_log_archives`` has nothing left
to do but check.
"""

from __future__ import annotations

import enum
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from . import _axvs
from .errors import AxvsError, LogError
from .session import Session

CAMERA_MANIFEST_FILENAME = "camera_manifest.yaml"
MAXIMUM_QUANTIZATION_VALUE = 51
DEFAULT_BLACKLISTED_NODES = frozenset({"CustomerIDKey", "CustomerValueKey", "TestPattern"})
LOG_DIRECTORY_SUFFIX = "_data_log"


class VideoEncoders(str, enum.Enum):
    """Video codecs (the original's names); axvs also has AV1 and FFV1 in rigs."""

    H264 = "H264"
    H265 = "H265"

    def __str__(self) -> str:
        return self.value


class EncoderSpeedPresets(enum.IntEnum):
    """Encoder speed, 1 (fastest) to 7 (slowest)."""

    FASTEST = 1
    FASTER = 2
    FAST = 3
    MEDIUM = 4
    SLOW = 5
    SLOWER = 6
    SLOWEST = 7


class InputPixelFormats(str, enum.Enum):
    """The frames a camera delivers to the encoder."""

    MONOCHROME = "gray"
    BGR = "bgr24"

    def __str__(self) -> str:
        return self.value


class OutputPixelFormats(str, enum.Enum):
    """The video's pixel format."""

    YUV420 = "yuv420p"
    YUV444 = "yuv444p"

    def __str__(self) -> str:
        return self.value


class CameraInterfaces(str, enum.Enum):
    """Camera interfaces: ``harvesters`` is axvs' ``gentl`` backend, ``mock`` its ``synthetic`` one."""

    HARVESTERS = "harvesters"
    OPENCV = "opencv"
    MOCK = "mock"

    def __str__(self) -> str:
        return self.value


_BACKEND = {CameraInterfaces.HARVESTERS: "gentl", CameraInterfaces.OPENCV: "opencv", CameraInterfaces.MOCK: "synthetic"}
_INTERFACE = {"gentl": "harvesters", "opencv": "opencv", "synthetic": "mock"}


def _member(enum_type, value, what: str):
    try:
        return enum_type(value.value if isinstance(value, enum.Enum) else value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum_type)
        raise ValueError(f"{what} {value!r}: must be one of {allowed}") from None


class DataLogger:
    """Where a recording's timestamps go: ``<output_directory>/<instance_name>_data_log/``.

    The original's logger was a process receiving pickled entries through a queue and writing one ``.npy``
    file per frame; axvs writes each camera's log in process, so this only names the directory, and
    ``start``/``stop`` keep the original's calls working.
    """

    def __init__(self, output_directory: Union[str, os.PathLike], instance_name: str, thread_count: int = 5,
                 poll_interval: int = 5) -> None:
        if not instance_name:
            raise ValueError("instance_name: must not be empty")
        self._name = instance_name
        self._output_directory = Path(output_directory) / f"{instance_name}{LOG_DIRECTORY_SUFFIX}"
        self._output_directory.mkdir(parents=True, exist_ok=True)
        self._alive = False

    def start(self) -> None:
        """Marks the logger alive (each camera writes its own log)."""
        self._alive = True

    def stop(self) -> None:
        """Marks the logger stopped; each camera finished its log when it stopped."""
        self._alive = False

    @property
    def output_directory(self) -> Path:
        """The log directory."""
        return self._output_directory

    @property
    def name(self) -> str:
        """The instance name."""
        return self._name

    @property
    def alive(self) -> bool:
        """True between ``start`` and ``stop``."""
        return self._alive


def resolve_camera_video_path(output_directory: Union[str, os.PathLike], system_id: int) -> Path:
    """The video file of camera ``system_id``: ``<output_directory>/<id, three digits>.mp4``."""
    return Path(output_directory) / f"{int(system_id):03d}.mp4"


class VideoSystem:
    """One camera, recorded with a timestamp for every saved frame (the original's constructor).

    Frame saving is off after :meth:`start`, as in the original; :meth:`start_frame_saving` turns it on.
    """

    def __init__(
        self,
        system_id,
        data_logger: DataLogger,
        name: str,
        output_directory: Union[str, os.PathLike, None],
        camera_interface: Union[CameraInterfaces, str] = CameraInterfaces.OPENCV,
        camera_index: int = 0,
        display_frame_rate: Optional[int] = None,
        frame_width: Optional[int] = None,
        frame_height: Optional[int] = None,
        frame_rate: Optional[int] = None,
        gpu: int = -1,
        video_encoder: Union[VideoEncoders, str] = VideoEncoders.H265,
        encoder_speed_preset: Union[EncoderSpeedPresets, int] = EncoderSpeedPresets.SLOW,
        output_pixel_format: Union[OutputPixelFormats, str] = OutputPixelFormats.YUV444,
        quantization_parameter: int = 15,
        *,
        color: Optional[bool] = None,
    ) -> None:
        system_id = int(system_id)
        if not 0 <= system_id <= 255:
            raise OverflowError(f"system_id {system_id}: must be 0 to 255")
        if not isinstance(data_logger, DataLogger):
            raise TypeError("data_logger: an axvs.DataLogger")
        interface = _member(CameraInterfaces, camera_interface, "camera_interface")
        encoder = _member(VideoEncoders, video_encoder, "video_encoder")
        preset = _member(EncoderSpeedPresets, int(encoder_speed_preset), "encoder_speed_preset")
        pixel_format = _member(OutputPixelFormats, output_pixel_format, "output_pixel_format")
        if not 0 <= int(quantization_parameter) <= MAXIMUM_QUANTIZATION_VALUE:
            raise ValueError(f"quantization_parameter {quantization_parameter}: must be 0 to {MAXIMUM_QUANTIZATION_VALUE}")
        self._system_id = np.uint8(system_id)
        self._name = name
        self._logger = data_logger
        self._output_directory = None if output_directory is None else Path(output_directory)
        camera = {"id": system_id, "name": name, "backend": _BACKEND[interface]}
        if interface != CameraInterfaces.MOCK:
            camera["index"] = int(camera_index)
        mock = interface == CameraInterfaces.MOCK
        for key, value, default in (("width", frame_width, 600), ("height", frame_height, 400), ("fps", frame_rate, 30)):
            if value is not None or mock:
                camera[key] = int(value) if value is not None else default
        if interface != CameraInterfaces.HARVESTERS:
            camera["pixel_format"] = "bgr8" if color else "mono8"
        if display_frame_rate is not None:
            camera["display_fps"] = float(display_frame_rate)
        encoder_table = {
            "codec": encoder.value.lower(),
            "preset": int(preset),
            "qp": int(quantization_parameter),
            "pixel_format": pixel_format.value,
        }
        if int(gpu) >= 0:
            encoder_table["gpu"] = int(gpu)
        rig = {"encoder": encoder_table, "camera": [camera]}
        videos = self._output_directory if self._output_directory is not None else data_logger.output_directory
        self._session = Session(rig, saving=False, _into=(videos, data_logger.output_directory))
        self._saving_possible = self._output_directory is not None
        self._started = False
        write_camera_manifest(data_logger.output_directory, system_id, name)

    def start(self) -> None:
        """Opens the camera and starts acquiring (saving stays off); nothing when started already."""
        if self._started:
            return
        if self._session.report is not None:
            raise AxvsError(
                f"VideoSystem {int(self._system_id)} recorded already; axvs does not overwrite its video: "
                "make a new VideoSystem with another output_directory"
            )
        self._session.start()
        self._started = True

    def stop(self) -> None:
        """Stops: every queued frame is written, the video finished and the archive written."""
        if not self._started:
            return
        self._session.stop()
        self._started = False

    def start_frame_saving(self) -> None:
        """Saves frames from now on (when an output directory was given)."""
        if self._started and self._saving_possible:
            self._session.start_saving()

    def stop_frame_saving(self) -> None:
        """Stops saving frames; the camera keeps acquiring."""
        if self._started and self._saving_possible:
            self._session.stop_saving()

    def status(self):
        """The live counters (axvs' addition): acquired, saved, dropped by reason, queue depth and peak."""
        return self._session.status()

    @property
    def video_file_path(self) -> Optional[Path]:
        """The video file, or None when frames are not saved."""
        if self._output_directory is None:
            return None
        return resolve_camera_video_path(self._output_directory, int(self._system_id))

    @property
    def started(self) -> bool:
        """True between ``start`` and ``stop``."""
        return self._started

    @property
    def system_id(self) -> np.uint8:
        """The camera's id (its log source id)."""
        return self._system_id

    def __repr__(self) -> str:
        return f"VideoSystem(system_id={int(self._system_id)}, started={self._started}, name={self._name!r})"

    def __del__(self) -> None:
        try:
            self.stop()
        except Exception:  # noqa: BLE001 - at collection, nothing can be raised
            pass


def assemble_log_archives(log_directory: Union[str, os.PathLike], max_workers: Optional[int] = None, *,
                          remove_sources: bool = True, memory_mapping: bool = True, verbose: bool = False,
                          verify_integrity: bool = False) -> None:
    """Checks that every camera log in ``log_directory`` has its archive (``<id>_log.npz``).

    axvs writes each archive when its camera stops, from a log that agrees with the video; a log without one
    is from a run that did not finish, and ``axvs recover`` reconciles it with its video first. Raw logs are
    kept (``remove_sources`` is accepted and ignored: axvs never deletes recorded data).
    """
    missing = _axvs.unarchived_logs(os.fspath(log_directory))
    if missing:
        names = ", ".join(p.name if hasattr(p, "name") else os.path.basename(p) for p in missing)
        raise LogError(
            f"{log_directory}: {names} has no archive: its recording did not finish; run "
            f"`axvs recover {log_directory}` to reconcile it with its video"
        )


def extract_logged_camera_timestamps(log_path: Union[str, os.PathLike], workers: int = -1, *,
                                     display_progress: bool = True, executor=None) -> np.ndarray:
    """µs since the UNIX epoch (UTC) of every saved frame in the archive (or raw log) ``log_path``, in video
    order, as a ``numpy.uint64`` array that owns the times (no copy). Reads the original's archives too."""
    return _axvs.frame_times(os.fspath(log_path))


@dataclass(frozen=True)
class CameraInformation:
    """A camera found on this machine."""

    camera_index: int
    interface: Union[CameraInterfaces, str]
    frame_width: int
    frame_height: int
    acquisition_frame_rate: int
    serial_number: Optional[str] = None
    model: Optional[str] = None


def discover_camera_ids() -> tuple:
    """The cameras every axvs backend (and plugin) can open here, as ``CameraInformation``."""
    cameras, _failed = _axvs.discover(False)
    found = []
    for cam in cameras:
        try:
            index = int(cam["address"])
        except ValueError:
            index = -1
        width, height = (cam["sizes"][0] if cam["sizes"] else (0, 0))
        interface = _INTERFACE.get(cam["backend"], cam["backend"])
        found.append(CameraInformation(
            camera_index=index,
            interface=CameraInterfaces(interface) if interface in {m.value for m in CameraInterfaces} else interface,
            frame_width=int(width),
            frame_height=int(height),
            acquisition_frame_rate=int(round(cam["rates"][0])) if cam["rates"] else 0,
            serial_number=cam.get("serial"),
            model=cam.get("model"),
        ))
    return tuple(found)


def add_cti_file(cti_path: Union[str, os.PathLike]) -> None:
    """Checks that the GenTL producer loads, then keeps it as this user's choice (``axvs cti set``)."""
    _axvs.store_cti(os.fspath(cti_path))


def check_cti_file() -> Optional[Path]:
    """The GenTL producer in use (``AXVS_CTI_PATH`` first, then the stored choice) when it loads, else None."""
    status = _axvs.cti_status()
    return Path(status["path"]) if status.get("loads") and status.get("path") else None


def check_ffmpeg_availability() -> bool:
    """True when FFmpeg's H.264 or H.265 CPU encoder opens (axvs links FFmpeg's libraries: no ``ffmpeg``
    program is needed)."""
    return any(e.get("available") and e.get("gpu") is None and _codec(e) in ("h264", "h265")
               for e in _axvs.requirements()["encoders"])


def _codec(encoder: dict) -> str:
    return str(encoder.get("codec", "")).lower()


def check_gpu_availability() -> bool:
    """True when an NVIDIA GPU encoder (NVENC) opens."""
    return any(e.get("available") and e.get("gpu") is not None for e in _axvs.requirements()["encoders"])


def write_camera_manifest(log_directory: Union[str, os.PathLike], source_id: int, name: str) -> None:
    """Adds camera ``source_id`` (or renames it) in ``<log_directory>/camera_manifest.yaml``."""
    if not 0 <= int(source_id) <= 255:
        raise ValueError(f"source_id {source_id}: must be 0 to 255")
    _axvs.write_manifest(os.fspath(log_directory), int(source_id), name)


CAMERA_EXTRACTION_JOB_NAME = "camera_timestamp_extraction"


def resolve_timestamps_path(output_directory: Union[str, os.PathLike], source_id: Union[str, int]) -> Path:
    """The table of camera ``source_id``'s frame times: ``<output_directory>/camera_<id>_timestamps.feather``."""
    return Path(output_directory) / f"camera_{int(source_id)}_timestamps.feather"


def run_log_processing_pipeline(log_directory: Union[str, os.PathLike], output_directory: Union[str, os.PathLike],
                                job_id: Optional[str] = None, source_ids=None, *, workers: int = -1,
                                display_progress: bool = True) -> list:
    """Writes each camera's frame times (``camera_<id>_timestamps.feather``, column ``frame_time_us``, and the
    processing tracker) under ``<output_directory>/camera_timestamps/``, as ``axvs process`` does; the
    recordings under ``log_directory`` are found by their manifests. Returns one dict per job (source id,
    status, output, frames, error). Ctrl-C cancels: running jobs finish whole."""
    sources = [int(s) for s in (source_ids or ())]
    jobs = 0 if workers is None or int(workers) < 1 else int(workers)
    outcomes = _axvs.process_logs([os.fspath(log_directory)], os.fspath(output_directory), sources, job_id, jobs, False)
    failed = [o for o in outcomes if o["status"] == "FAILED"]
    if failed:
        raise LogError("; ".join(f"camera {o['source_id']} ({o['log']}): {o['error']}" for o in failed))
    return outcomes


def read_timestamps_table(path: Union[str, os.PathLike]):
    """A processing output (``.feather``) as a pyarrow Table (``pip install pyarrow``); ``polars.read_ipc``
    reads the same file."""
    import pyarrow.feather

    return pyarrow.feather.read_table(os.fspath(path))


@dataclass(frozen=True)
class GenicamNodeInfo:
    """One writable node's value, under the selector entries in force when it was read."""

    name: str
    value: str
    selectors: dict = field(default_factory=dict)


@dataclass(frozen=True)
class GenicamConfiguration:
    """A camera's writable GenICam nodes (what ``axvs genicam dump`` writes as YAML)."""

    camera_model: str = ""
    camera_serial_number: str = ""
    nodes: list = field(default_factory=list)


def read_camera_configuration(camera_index: int, blacklisted_nodes: frozenset = DEFAULT_BLACKLISTED_NODES, *,
                              interface: Union[CameraInterfaces, str] = CameraInterfaces.HARVESTERS,
                              fake: bool = False) -> GenicamConfiguration:
    """The writable GenICam nodes of the camera at ``camera_index``: through the GenTL producer (the
    original's Harvesters, ``check_cti_file``'s) or, with ``interface="genicam"``, Aravis (``fake`` also
    offers Aravis' simulated camera)."""
    kind = str(interface.value if isinstance(interface, enum.Enum) else interface)
    if kind not in (CameraInterfaces.HARVESTERS.value, "gentl", "genicam"):
        raise ValueError(f"interface {interface!r}: must be harvesters (GenTL) or genicam (Aravis)")
    gentl = kind != "genicam"
    raw = _axvs.genicam_configuration(int(camera_index), sorted(blacklisted_nodes), gentl, fake)
    return GenicamConfiguration(
        camera_model=raw["camera_model"],
        camera_serial_number=raw["camera_serial_number"],
        nodes=[GenicamNodeInfo(n["name"], n["value"], dict(n.get("selectors") or {})) for n in raw["nodes"]],
    )
