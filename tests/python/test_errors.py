"""Errors are Python exceptions with the messages the `axvs` command prints for the same input."""

from pathlib import Path

import pytest

import axvs
from conftest import axvs_cli

BAD_RIGS = {
    "unknown_key.toml": '[[camera]]\nid = 1\nname = "a"\nbackend = "synthetic"\nwidht = 64\n',
    "bad_value.toml": '[[camera]]\nid = 1\nname = "a"\nbackend = "synthetic"\nfps = -3\n',
    "not_toml.toml": "[[camera]\nid = 1\n",
    "duplicate_ids.toml": '[[camera]]\nid = 1\nname = "a"\nbackend = "synthetic"\n\n[[camera]]\nid = 1\nname = "b"\nbackend = "synthetic"\n',
    "unknown_backend.toml": '[[camera]]\nid = 1\nname = "a"\nbackend = "nosuch"\n',
}


@pytest.mark.parametrize("name", sorted(BAD_RIGS))
def test_a_bad_rig_raises_the_cli_message_with_its_place(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(BAD_RIGS[name])
    cli = axvs_cli("check", str(path))
    assert cli.returncode == 2, cli
    line = cli.stderr.strip().splitlines()[-1]
    assert line.startswith("axvs: error: "), cli.stderr
    with pytest.raises(axvs.RigError) as raised:
        axvs.Session(path)
    assert str(raised.value) == line.removeprefix("axvs: error: ")
    assert f"{path}:" in str(raised.value), "names the file and its line"
    assert isinstance(raised.value, ValueError), "the original raised ValueError for bad settings"


def test_rig_text_errors_name_their_line_and_column() -> None:
    with pytest.raises(axvs.RigError, match=r"^<rig text>:5:1: unknown field `widht`: did you mean `width`\?"):
        axvs.Session(BAD_RIGS["unknown_key.toml"] + "\n")


def test_a_missing_rig_file_and_a_wrong_type_are_clear(tmp_path: Path) -> None:
    with pytest.raises(axvs.RigError, match="cannot read rig file .*nothing.toml"):
        axvs.Session(tmp_path / "nothing.toml")
    with pytest.raises(TypeError, match="not int"):
        axvs.Session(3)


def test_a_corrupt_archive_raises_a_log_error(tmp_path: Path) -> None:
    bad = tmp_path / "1_log.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(axvs.LogError, match="1_log.npz"):
        axvs.extract_logged_camera_timestamps(bad)


def test_the_free_space_check_looks_at_the_directories_recorded_into(tmp_path: Path) -> None:
    rig = {"min_free_space": "99%", "camera": [{"id": 3, "name": "a", "backend": "synthetic", "width": 64, "height": 32}]}
    videos, logs = tmp_path / "videos", tmp_path / "logs"
    session = axvs.Session(rig, preview=False, _into=(videos, logs))
    with pytest.raises(axvs.SessionError, match="cannot start: " + str(tmp_path)):
        session.start()


def test_a_rig_path_with_an_equals_sign_is_a_path(tmp_path: Path, rig_text: str) -> None:
    folder = tmp_path / "run=3"
    folder.mkdir()
    path = folder / "rig.toml"
    path.write_text(rig_text)
    assert [i for i, _ in axvs.Session(str(path)).cameras] == [1, 2]
