"""The full-dataset registry and the `data list` / `data prefetch` commands (no real network)."""

from __future__ import annotations

import hashlib
import re

import pytest
from netutil import Route, serve

from course_lib.data import OFFLINE_SOURCES, registry
from course_lib.data.registry import REGISTRY, FullDataset, RemoteFile, fetch, status

HEX = re.compile(r"[0-9a-f]+")


@pytest.fixture(autouse=True)
def _env(tmp_path, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE", raising=False)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "data"))
    for var in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(var, "127.0.0.1,localhost")


def test_registry_entries_are_well_formed():
    assert {"mnist", "fashion_mnist", "medmnist", "imdb", "multi30k_en_fr", "cora"} <= set(REGISTRY)
    for name, ds in REGISTRY.items():
        assert ds.name == name and ds.files and ds.licence and ds.citation and ds.offline_instead
        assert all(re.fullmatch(r"\d\d", nb) for nb in ds.notebooks)
        assert len({f.name for f in ds.files}) == len(ds.files)
        for f in ds.files:
            assert f.urls and all(u.startswith("https://") for u in f.urls), f.name
            assert f.size > 0
            assert f.sha256 or f.md5, f"{name}/{f.name} has no checksum"
            if f.sha256:
                assert len(f.sha256) == 64 and HEX.fullmatch(f.sha256)
            if f.md5:
                assert len(f.md5) == 32 and HEX.fullmatch(f.md5)


def _tiny(srv) -> FullDataset:
    """A two-file data set served from 127.0.0.1: one file with a sha256, one with an md5 only."""
    a, b = b"first file" * 100, b"second file" * 100
    srv.routes.update({"/a": Route(a), "/b": Route(b)})
    return FullDataset(
        name="tiny", title="tiny test set", licence="CC0", citation="-", notebooks=("00",),
        offline_instead="digits",
        files=(RemoteFile("a.bin", (srv.url("/a"),), len(a), sha256=hashlib.sha256(a).hexdigest()),
               RemoteFile("b.bin", (srv.url("/gone"), srv.url("/b")), len(b),
                          md5=hashlib.md5(b).hexdigest())))


def test_fetch_downloads_verifies_and_records_sha256(tmp_path, monkeypatch):
    with serve({}) as srv:
        monkeypatch.setitem(REGISTRY, "tiny", _tiny(srv))
        paths = fetch("tiny", progress=False)
        assert [p.name for p in paths] == ["a.bin", "b.bin"]
        assert paths[0].parent == tmp_path / "data" / "tiny"
        sums = (paths[0].parent / "SHA256SUMS").read_text()
        assert f"{hashlib.sha256(paths[1].read_bytes()).hexdigest()}  b.bin" in sums
        hits = srv.total_hits
        fetch("tiny", progress=False)  # everything present and verified: no network
        assert srv.total_hits == hits
    row = next(r for r in status() if r.name == "tiny")
    assert row.kind == "download" and row.present and row.size > 0


def test_fetch_unknown_name_is_clear():
    with pytest.raises(ValueError, match="Unknown dataset 'nope'.*mnist"):
        fetch("nope")


def test_status_lists_offline_sources_and_downloads():
    rows = status()
    assert {r.name for r in rows if r.kind == "offline"} == set(OFFLINE_SOURCES)
    assert {r.name for r in rows if r.kind == "download"} == set(REGISTRY)
    assert not any(r.present for r in rows if r.kind == "download")  # empty COURSE_DATA_DIR


def test_cli_list_prints_offline_sources_and_full_datasets(capsys):
    assert registry.cli_list() == 0
    out = capsys.readouterr().out
    for name in [*OFFLINE_SOURCES, *REGISTRY]:
        assert name in out
    assert "offline, ready" in out or "missing: pip install" in out
    assert "not downloaded" in out


def test_cli_prefetch_unknown_name(capsys):
    assert registry.cli_prefetch(["mnist", "nope"]) == 2
    err = capsys.readouterr().err
    assert "Unknown dataset(s): nope" in err and "mnist" in err


def test_cli_prefetch_offline_fails_clearly_without_network(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    assert registry.cli_prefetch([]) == 1  # every registry entry, none touches the network
    err = capsys.readouterr().err
    assert "FAILED" in err and "COURSE_OFFLINE" in err and "save it exactly as" in err


def test_cli_prefetch_success(capsys, monkeypatch):
    with serve({}) as srv:
        monkeypatch.setitem(REGISTRY, "tiny", _tiny(srv))
        assert registry.cli_prefetch(["tiny"]) == 0
    assert "ok: 2 file(s) verified" in capsys.readouterr().out


def test_fetch_tries_every_file_and_reports_all_failures(tmp_path, monkeypatch):
    with serve({}) as srv:
        monkeypatch.setitem(REGISTRY, "tiny", _tiny(srv))
        del srv.routes["/b"]  # the second file is gone from both of its URLs
        with pytest.raises(registry.OfflineError, match="1 of 2 file") as err:
            fetch("tiny", progress=False)
    assert (tmp_path / "data" / "tiny" / "a.bin").exists()  # the good file was still fetched
    assert not (tmp_path / "data" / "tiny" / "b.bin").exists()
    assert srv.url("/gone") in str(err.value) and srv.url("/b") in str(err.value)


def test_a_damaged_sha256sums_line_is_reported_not_fatal(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    good = "a" * 64
    (folder / "SHA256SUMS").write_text(f"{good}  b.bin\n{'c' * 20}\nnothex{'0' * 58}  c.bin\n\n")
    with pytest.warns(UserWarning, match="line 2"):
        recorded = registry._recorded_sha256(folder)
    assert recorded == {"b.bin": good}
