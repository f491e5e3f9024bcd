"""axvs: records video from many cameras at once, with a timestamp logged for every saved frame.

The recorder is Rust, in process: frames never cross a process boundary or the GIL. Start with
:class:`Session` (a rig of any number of cameras), or with the original's :class:`VideoSystem`.
"""

from ._axvs import __version__
from .errors import AxvsError, LogError, RigError, SessionError
from .original import (
    CAMERA_MANIFEST_FILENAME,
    DEFAULT_BLACKLISTED_NODES,
    MAXIMUM_QUANTIZATION_VALUE,
    CameraInformation,
    CameraInterfaces,
    DataLogger,
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
    resolve_camera_video_path,
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
    "CAMERA_MANIFEST_FILENAME",
    "DEFAULT_BLACKLISTED_NODES",
    "MAXIMUM_QUANTIZATION_VALUE",
    "CameraInformation",
    "CameraInterfaces",
    "DataLogger",
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
    "resolve_camera_video_path",
    "write_camera_manifest",
]
