"""axvs: records video from many cameras at once, with a timestamp logged for every saved frame.

The recorder is Rust, in process: frames never cross a process boundary or the GIL. Start with
:class:`Session` (a rig of any number of cameras), or with the original's :class:`VideoSystem`.
"""

import os as _os

# SVT-AV1 prints a banner each time an encoder opens unless told otherwise (as `axvs` tells it).
_os.environ.setdefault("SVT_LOG", "1")

from ._axvs import __version__  # noqa: E402
from .errors import AxvsError, LogError, RigError, SessionError
from .original import (
    CAMERA_EXTRACTION_JOB_NAME,
    CAMERA_MANIFEST_FILENAME,
    DEFAULT_BLACKLISTED_NODES,
    MAXIMUM_QUANTIZATION_VALUE,
    CameraInformation,
    CameraInterfaces,
    DataLogger,
    GenicamConfiguration,
    GenicamNodeInfo,
    EncoderSpeedPresets,
    InputPixelFormats,
    OutputPixelFormats,
    VideoEncoders,
    VideoSystem,
    add_cti_file,
    assemble_log_archives,
    check_cti_file,
    check_ffmpeg_availability,
    check_gpu_availability,
    discover_camera_ids,
    extract_logged_camera_timestamps,
    read_camera_configuration,
    read_timestamps_table,
    resolve_camera_video_path,
    resolve_timestamps_path,
    run_log_processing_pipeline,
    write_camera_manifest,
)
from .session import CameraStatus, Drops, Report, Session, Status

__all__ = [
    "__version__",
    "AxvsError",
    "LogError",
    "RigError",
    "SessionError",
    "Session",
    "Status",
    "CameraStatus",
    "Drops",
    "Report",
    "CAMERA_EXTRACTION_JOB_NAME",
    "CAMERA_MANIFEST_FILENAME",
    "DEFAULT_BLACKLISTED_NODES",
    "MAXIMUM_QUANTIZATION_VALUE",
    "CameraInformation",
    "CameraInterfaces",
    "DataLogger",
    "GenicamConfiguration",
    "GenicamNodeInfo",
    "EncoderSpeedPresets",
    "InputPixelFormats",
    "OutputPixelFormats",
    "VideoEncoders",
    "VideoSystem",
    "add_cti_file",
    "assemble_log_archives",
    "check_cti_file",
    "check_ffmpeg_availability",
    "check_gpu_availability",
    "discover_camera_ids",
    "extract_logged_camera_timestamps",
    "read_camera_configuration",
    "read_timestamps_table",
    "resolve_camera_video_path",
    "resolve_timestamps_path",
    "run_log_processing_pipeline",
    "write_camera_manifest",
]
