"""Probes for course_lib.data.downloader, all against a server on 127.0.0.1 (tests/netutil.py)."""

from __future__ import annotations

import hashlib
import time

import pytest
from netutil import Route, serve

from course_lib.data import ChecksumError, OfflineError, download, sha256sum

BODY = bytes(range(256)) * 800  # 200 kB: several read chunks
SHA = hashlib.sha256(BODY).hexdigest()
MD5 = hashlib.md5(BODY).hexdigest()
FAST = {"progress": False, "timeout": 5.0, "retries": 0}


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    for var in ("no_proxy", "NO_PROXY"):  # never send 127.0.0.1 through a proxy
        monkeypatch.setenv(var, "127.0.0.1,localhost")


def leftovers(folder):
    """Everything in the folder except the final file: temp files must not survive."""
    return sorted(p.name for p in folder.iterdir() if p.suffix == ".part" or p.name.startswith("."))


def test_good_download(tmp_path):
    dest = tmp_path / "sub" / "file.bin"
    with serve({"/f": Route(BODY)}) as srv:
        got = download(srv.url("/f"), dest, SHA, md5=MD5, **FAST)
    assert got == dest.resolve() and dest.read_bytes() == BODY
    assert srv.hits["/f"] == 1 and leftovers(dest.parent) == []


def test_corrupted_download_names_both_hashes_and_leaves_nothing(tmp_path):
    bad = BODY[:-1] + b"X"
    dest = tmp_path / "file.bin"
    with serve({"/f": Route(bad)}) as srv, pytest.raises(ChecksumError) as err:
        download(srv.url("/f"), dest, SHA, **FAST)
    msg = str(err.value)
    assert SHA in msg and hashlib.sha256(bad).hexdigest() in msg
    assert not dest.exists() and list(tmp_path.iterdir()) == []


def test_wrong_md5_is_a_checksum_error(tmp_path):
    with serve({"/f": Route(BODY)}) as srv, pytest.raises(ChecksumError, match=MD5):
        download(srv.url("/f"), tmp_path / "f", None, md5="0" * 32, **FAST)
    assert list(tmp_path.iterdir()) == []


def test_truncated_download_is_a_failed_attempt(tmp_path):
    dest = tmp_path / "file.bin"
    routes = {"/f": Route(BODY, content_length=len(BODY) + 100)}
    with serve(routes) as srv, pytest.raises(OfflineError, match="truncated") as err:
        download(srv.url("/f"), dest, SHA, progress=False, timeout=5.0, retries=1)
    assert srv.hits["/f"] == 2  # retried once
    assert str(dest.resolve()) in str(err.value)
    assert not dest.exists() and list(tmp_path.iterdir()) == []


def test_truncated_primary_falls_back_to_mirror(tmp_path):
    routes = {"/cut": Route(BODY[:1000], content_length=len(BODY)), "/ok": Route(BODY)}
    with serve(routes) as srv:
        got = download(srv.url("/cut"), tmp_path / "f", SHA, mirrors=[srv.url("/ok")], **FAST)
    assert got.read_bytes() == BODY and srv.log == ["/cut", "/ok"]


def test_slow_server_times_out_quickly(tmp_path):
    dest = tmp_path / "file.bin"
    start = time.perf_counter()
    with serve({"/slow": Route(BODY, delay=2.0)}) as srv, pytest.raises(OfflineError, match="timed out"):
        download(srv.url("/slow"), dest, SHA, progress=False, timeout=0.2, retries=0)
    assert time.perf_counter() - start < 1.5
    assert not dest.exists() and list(tmp_path.iterdir()) == []


def test_404_falls_to_mirror_without_retrying(tmp_path):
    with serve({"/ok": Route(BODY)}) as srv:
        got = download(srv.url("/missing"), tmp_path / "f", SHA, mirrors=[srv.url("/ok")],
                       progress=False, retries=2)
    assert got.read_bytes() == BODY
    assert srv.hits["/missing"] == 1 and srv.hits["/ok"] == 1


def test_all_urls_fail_offline_error_tells_how_to_fix(tmp_path):
    dest = tmp_path / "file.bin"
    with serve({}) as srv, pytest.raises(OfflineError) as err:
        download(srv.url("/a"), dest, SHA, mirrors=[srv.url("/b")], **FAST)
    msg = str(err.value)
    for needle in (srv.url("/a"), srv.url("/b"), str(dest.resolve()), SHA, "404"):
        assert needle in msg
    assert list(tmp_path.iterdir()) == []


def test_mirrors_are_tried_in_order(tmp_path):
    routes = {"/b": Route(b"oops", status=500), "/c": Route(BODY), "/d": Route(BODY)}
    with serve(routes) as srv:
        download(srv.url("/a"), tmp_path / "f", SHA,
                 mirrors=[srv.url("/b"), srv.url("/c"), srv.url("/d")], **FAST)
    assert srv.log == ["/a", "/b", "/c"]


def test_offline_mode_makes_no_network_attempt(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    dest = tmp_path / "file.bin"
    with serve({"/f": Route(BODY)}) as srv, pytest.raises(OfflineError) as err:
        download(srv.url("/f"), dest, SHA, **FAST)
    assert srv.total_hits == 0
    msg = str(err.value)
    assert "COURSE_OFFLINE" in msg and srv.url("/f") in msg and str(dest.resolve()) in msg and SHA in msg


def test_present_good_file_is_used_without_network(tmp_path, monkeypatch):
    dest = tmp_path / "file.bin"
    dest.write_bytes(BODY)
    with serve({"/f": Route(b"something else")}) as srv:
        assert download(srv.url("/f"), dest, SHA, md5=MD5, **FAST) == dest.resolve()
        monkeypatch.setenv("COURSE_OFFLINE", "1")  # offline is fine too: nothing to fetch
        assert download(srv.url("/f"), dest, SHA, **FAST) == dest.resolve()
    assert srv.total_hits == 0 and dest.read_bytes() == BODY


def test_present_corrupt_file_is_replaced(tmp_path):
    dest = tmp_path / "file.bin"
    dest.write_bytes(b"corrupt")
    with serve({"/f": Route(BODY)}) as srv:
        download(srv.url("/f"), dest, SHA, **FAST)
    assert srv.hits["/f"] == 1 and dest.read_bytes() == BODY


@pytest.mark.parametrize("offline", [True, False])
def test_present_corrupt_file_is_never_used_silently(tmp_path, monkeypatch, offline):
    dest = tmp_path / "file.bin"
    dest.write_bytes(b"corrupt")
    if offline:
        monkeypatch.setenv("COURSE_OFFLINE", "1")
    with serve({}) as srv, pytest.raises(OfflineError) as err:
        download(srv.url("/f"), dest, SHA, **FAST)
    msg = str(err.value)
    assert "corrupt" in msg and str(dest.resolve()) in msg
    assert dest.read_bytes() == b"corrupt"  # left for inspection, but never returned


def test_a_checksum_is_required(tmp_path):
    with pytest.raises(ValueError, match="checksum"):
        download("http://127.0.0.1:9/x", tmp_path / "x", None)


def test_sha256sum(tmp_path):
    p = tmp_path / "b"
    p.write_bytes(BODY)
    assert sha256sum(p) == SHA


@pytest.mark.parametrize("sha,md5", [("abc", None), ("g" * 64, None), (SHA + "0", None), (None, "z" * 32)])
def test_malformed_checksum_is_refused_before_any_transfer(tmp_path, sha, md5):
    with serve({"/f": Route(BODY)}) as srv, pytest.raises(ValueError, match="hexadecimal"):
        download(srv.url("/f"), tmp_path / "f", sha, md5=md5, **FAST)
    assert srv.hits.get("/f", 0) == 0


def test_a_url_without_scheme_does_not_abandon_the_mirrors(tmp_path):
    with serve({"/f": Route(BODY)}) as srv:
        got = download("example.org/f", tmp_path / "f", SHA, mirrors=[srv.url("/f")], **FAST)
    assert got.read_bytes() == BODY


def test_a_directory_as_destination_says_so(tmp_path):
    with pytest.raises(IsADirectoryError, match="is a directory"):
        download("https://example.org/f", tmp_path, SHA, **FAST)


def test_a_local_write_error_is_not_retried_as_a_network_failure(tmp_path, monkeypatch):
    from course_lib.data import downloader

    real_open = open

    def full_disk(path, mode="r", *args, **kwargs):
        if "w" in mode and str(path).endswith(".part"):
            raise OSError(28, "No space left on device")
        return real_open(path, mode, *args, **kwargs)

    monkeypatch.setattr(downloader, "open", full_disk, raising=False)
    with serve({"/f": Route(BODY)}) as srv, pytest.raises(downloader.LocalWriteError, match="No space left"):
        download(srv.url("/f"), tmp_path / "f", SHA, progress=False, timeout=5.0, retries=3)
    assert srv.hits["/f"] == 1  # no retry, no OfflineError


def test_md5_is_checked_even_when_a_sha256_is_given(tmp_path):
    with serve({"/f": Route(BODY)}) as srv, pytest.raises(ChecksumError, match="md5"):
        download(srv.url("/f"), tmp_path / "f", SHA, md5="0" * 32, **FAST)
