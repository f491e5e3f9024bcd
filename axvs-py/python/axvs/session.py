"""Recording sessions: a rig (file, TOML text or dict) becomes running cameras, saving on and off, a status,
and a report when stopped. The same session the ``axvs run`` command and the MCP server drive."""

from __future__ import annotations

import atexit
import json
import os
import threading
import weakref
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Union

from . import _axvs

RigSource = Union[str, "os.PathLike[str]", Mapping[str, Any], None]

_live: "weakref.WeakSet[Session]" = weakref.WeakSet()


def _known(cls, data: Mapping[str, Any]) -> dict:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


@dataclass(frozen=True)
class Drops:
    """Frames acquired but not saved, by reason."""

    saving_off: int = 0
    queue_full: int = 0
    encoder_error: int = 0
    log_error: int = 0

    @property
    def lost(self) -> int:
        """Frames that should have been saved and were not (every reason but saving off)."""
        return self.queue_full + self.encoder_error + self.log_error

    @property
    def total(self) -> int:
        """Frames dropped for any reason."""
        return self.saving_off + self.lost


@dataclass(frozen=True)
class CameraStatus:
    """One camera's counters: ``acquired == saved + unlogged + dropped.total``."""

    id: int
    name: str
    state: str
    saving: bool
    acquired: int
    saved: int
    dropped: Drops
    camera_lost: int
    unlogged: int
    queue_depth: int
    queue_peak: int
    queue_capacity: int
    fps: float
    video_path: Optional[Path] = None
    error: Optional[str] = None

    @classmethod
    def _from(cls, data: Mapping[str, Any]) -> "CameraStatus":
        values = _known(cls, data)
        values["dropped"] = Drops(**_known(Drops, data.get("dropped") or {}))
        if values.get("video_path") is not None:
            values["video_path"] = Path(values["video_path"])
        return cls(**values)


@dataclass(frozen=True)
class Status:
    """A session's state (``"inactive"``, ``"running"``, ``"stopping"``, ``"stopped"``: stopped by itself),
    its cameras' counters while it runs, and the warnings it gave."""

    state: str
    cameras: tuple
    elapsed_s: float = 0.0
    session_dir: Optional[Path] = None
    log_dir: Optional[Path] = None
    stop_reason: Optional[str] = None
    notices: tuple = ()

    @classmethod
    def _from(cls, data: Mapping[str, Any]) -> "Status":
        live = data.get("session") or {}
        dirs = live.get("dirs") or {}
        return cls(
            state=data["status"],
            cameras=tuple(CameraStatus._from(c) for c in live.get("cameras", [])),
            elapsed_s=live.get("elapsed_s", 0.0),
            session_dir=Path(dirs["session"]) if dirs.get("session") else None,
            log_dir=Path(dirs["log"]) if dirs.get("log") else None,
            stop_reason=data.get("stop_reason"),
            notices=tuple(data.get("notices") or ()),
        )


@dataclass(frozen=True)
class Report:
    """What a stopped session wrote: per camera its final counters, video, log and archive."""

    session_dir: Path
    log_dir: Path
    rig: str
    cameras: tuple
    failures: tuple
    raw: dict

    @property
    def saved(self) -> int:
        """Frames saved by every camera."""
        return sum(c["status"]["saved"] for c in self.cameras)

    @classmethod
    def _from(cls, data: Mapping[str, Any]) -> "Report":
        return cls(
            session_dir=Path(data["session_dir"]),
            log_dir=Path(data["log_dir"]),
            rig=data["rig"],
            cameras=tuple(data["cameras"]),
            failures=tuple(data.get("failures") or ()),
            raw=dict(data),
        )


def _rig_form(rig: RigSource) -> tuple:
    if rig is None:
        return "builtin", ""
    if isinstance(rig, Mapping):
        return "dict", json.dumps(rig, default=os.fspath)
    if isinstance(rig, os.PathLike):
        return "path", os.fspath(rig)
    if isinstance(rig, str):
        is_text = "\n" in rig or ("=" in rig and not Path(rig).exists())
        return ("toml" if is_text else "path"), rig
    raise TypeError(f"rig: a path, TOML text or a dict, not {type(rig).__name__}")


class Session:
    """A rig's cameras, recording.

    ``rig`` is a rig file (a path), a rig as TOML text (a string with a newline, or with ``=`` that names no
    file), a dict with the
    rig file's keys, or None for the demo rig. Nothing opens until :meth:`start` (or ``with``); the rig is
    checked at once, and a bad one raises :class:`axvs.RigError` naming its line and column.

    ``preview``: None shows each camera as the rig's ``display_fps`` says, False shows none, a number shows
    every camera at that rate. ``metadata`` (e.g. ``{"subject": "m12"}``) goes into the session's provenance,
    ``session.json``, after the rig's ``[session]`` table.

    >>> with axvs.Session("rig.toml") as session:      # doctest: +SKIP
    ...     session.wait(10)                          # Ctrl-C stops cleanly too
    >>> session.report.saved                           # doctest: +SKIP
    """

    def __init__(
        self,
        rig: RigSource = None,
        *,
        output_dir: Union[str, "os.PathLike[str]", None] = None,
        name: Optional[str] = None,
        saving: bool = True,
        preview: Union[bool, float, None] = None,
        metadata: Optional[Dict[str, str]] = None,
        _into: Optional[tuple] = None,
    ) -> None:
        kind, value = _rig_form(rig)
        if preview is True:
            preview = None
        elif preview is False:
            preview = 0.0
        into = None if _into is None else tuple(os.fspath(p) for p in _into)
        self._native = _axvs.NativeSession(
            kind,
            value,
            None if output_dir is None else os.fspath(output_dir),
            name,
            saving,
            preview,
            into,
            [(str(k), str(v)) for k, v in (metadata or {}).items()],
        )
        self.report: Optional[Report] = None
        self._stopping = threading.Lock()

    def start(self) -> "Session":
        """Opens every camera, claims the session directory and starts recording."""
        self._native.start()
        _live.add(self)
        return self

    def start_saving(self, camera: Optional[int] = None) -> None:
        """Saves frames from now on: one camera's (its id), or every camera's."""
        self._native.start_saving(camera)

    def stop_saving(self, camera: Optional[int] = None) -> None:
        """Stops saving frames (the cameras keep acquiring): one camera's, or every camera's."""
        self._native.stop_saving(camera)

    def status(self) -> Status:
        """The live counters (safe from any thread, while another waits or records)."""
        return Status._from(self._native.status())

    @property
    def running(self) -> bool:
        """True while the session records."""
        return self._native.running()

    @property
    def cameras(self) -> list:
        """The cameras, as (id, name) pairs in the rig's order."""
        return [tuple(c) for c in self._native.cameras()]

    def wait(self, seconds: Optional[float] = None) -> bool:
        """Waits ``seconds`` (forever when None) or until the session stops by itself (a disk ran low, every
        camera ended); Ctrl-C raises ``KeyboardInterrupt`` here. Returns True while the session runs."""
        return self._native.wait(seconds)

    def stop(self) -> Report:
        """Stops: queues drained, videos finished, archives written. Returns (and keeps) the report."""
        with self._stopping:  # a second caller (another thread, the with block) waits for the first's report
            if self.report is None:
                self.report = Report._from(self._native.stop())
                _live.discard(self)
        return self.report

    def __enter__(self) -> "Session":
        return self.start()

    def __exit__(self, *exc) -> None:
        # Ctrl-C (KeyboardInterrupt) or any error in the block: the files are finished all the same.
        self.stop()

    def __repr__(self) -> str:
        return f"Session(cameras={self.cameras!r}, running={self.running})"


@atexit.register
def _stop_live_sessions() -> None:
    """A script that ends (or is interrupted) with sessions still recording finishes their files."""
    for session in list(_live):
        try:
            session.stop()
        except Exception:  # noqa: BLE001 - at exit, each session gets its chance
            pass
