"""Atomic writes: the old file survives a failed write, no temporary file is left, writers don't clash."""

from __future__ import annotations

import threading

import pytest

from course_lib.files import atomic_open, atomic_write


def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "times.json"
    atomic_write(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_open(target) as fh:
            fh.write("half of the new con")
            raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["times.json"]


def test_bytes_and_missing_parent_folders(tmp_path):
    target = tmp_path / "a" / "b" / "blob.bin"
    atomic_write(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"


def test_a_directory_is_not_a_file_name(tmp_path):
    with pytest.raises(IsADirectoryError, match="directory"):
        atomic_write(tmp_path, "x")


def test_append_mode_is_refused(tmp_path):
    with pytest.raises(ValueError, match="mode"):
        with atomic_open(tmp_path / "x", "a"):
            pass


def test_concurrent_writers_never_mix_their_data(tmp_path):
    target = tmp_path / "shared.txt"
    payloads = [str(i) * 200_000 for i in range(8)]
    threads = [threading.Thread(target=atomic_write, args=(target, p)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert target.read_text() in payloads  # one whole payload, never a mix
    assert [p.name for p in tmp_path.iterdir()] == ["shared.txt"]


def test_permissions_are_those_of_a_plain_write_not_private(tmp_path):
    import os
    import stat

    fresh = tmp_path / "fresh.txt"
    atomic_write(fresh, "x")
    plain = tmp_path / "plain.txt"
    plain.write_text("x")
    assert stat.S_IMODE(fresh.stat().st_mode) == stat.S_IMODE(plain.stat().st_mode)
    os.chmod(plain, 0o640)
    atomic_write(plain, "y")  # replacing a file keeps its mode
    assert stat.S_IMODE(plain.stat().st_mode) == 0o640
