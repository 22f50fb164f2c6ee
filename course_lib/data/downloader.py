"""Verified downloads: stream to a temporary file, check the hash, then rename atomically.

The course runs offline by default. When a learner opts in to a "full" data set, every file goes
through :func:`download`, which promises four things:

1. nothing partial or unverified ever appears at ``dest`` (we write ``.<name>.<random>.part``
   beside it and only ``os.replace`` it into place after the checksum matched);
2. a file already at ``dest`` with the right hash is used as is, without touching the network;
3. a file at ``dest`` with the wrong hash is never used silently;
4. offline (``COURSE_OFFLINE=1``) or when every URL fails, :class:`OfflineError` says which
   URLs to try by hand, the exact path to save the file to, and the checksum it must have.

>>> import tempfile
>>> p = Path(tempfile.mkdtemp()) / "hello.txt"
>>> _ = p.write_bytes(b"hello")
>>> sha256sum(p)[:12]
'2cf24dba5fb0'
>>> download("https://example.org/hello.txt", p, sha256sum(p)) == p   # present + verified: no network
True
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path

from tqdm.auto import tqdm

from ..config import is_offline

CHUNK = 1 << 16
USER_AGENT = "course-lib/0.1 (PyTorch course; python urllib)"


class OfflineError(RuntimeError):
    """The file is not here and cannot be downloaded now; the message says how to get it by hand."""


class ChecksumError(ValueError):
    """A downloaded file does not have the expected hash (the bad copy has been deleted)."""


class _Truncated(OSError):
    """The server closed the connection before sending ``Content-Length`` bytes."""


class LocalWriteError(OSError):
    """The file could not be written here (disk full, no permission): retrying the network won't help."""


_HEX = {"sha256": 64, "md5": 32}


def _check_digest(algo: str, value: str | None) -> None:
    """Refuse a malformed checksum before any transfer (not after it)."""
    if value is None:
        return
    if len(value) != _HEX[algo] or any(c not in "0123456789abcdefABCDEF" for c in value):
        raise ValueError(f"{algo}={value!r} is not a {algo} checksum: "
                         f"expected {_HEX[algo]} hexadecimal digits.")


def _hashes(path: Path) -> dict[str, str]:
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            sha.update(chunk)
            md5.update(chunk)
    return {"sha256": sha.hexdigest(), "md5": md5.hexdigest()}


def sha256sum(path: str | os.PathLike) -> str:
    """The sha256 of a file as 64 hex digits (what ``sha256sum FILE`` prints on Linux).

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "empty"
    >>> p.touch()
    >>> sha256sum(p)
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'
    """
    return _hashes(Path(path))["sha256"]


def _mismatch(got: dict[str, str], expected: dict[str, str | None]) -> str | None:
    """``None`` when every expected hash matches, else a sentence naming both hashes."""
    for algo, want in expected.items():
        if want is not None and got[algo] != want.lower():
            return f"{algo} expected {want.lower()}, got {got[algo]}"
    return None


def _fetch(url: str, tmp: Path, timeout: float, progress: bool, label: str) -> None:
    """Stream ``url`` into ``tmp``; raise on HTTP errors, timeouts and truncated transfers."""
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        length = resp.headers.get("Content-Length")
        total = int(length) if length and length.isdigit() else None
        received = 0
        try:
            out = open(tmp, "wb")  # closed by the with below; its errors are local, not network
        except OSError as err:
            raise LocalWriteError(f"cannot write {tmp}: {err}") from err
        with out, tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=label,
                       disable=not progress, leave=False) as bar:
            while chunk := resp.read(CHUNK):
                try:
                    out.write(chunk)
                except OSError as err:
                    raise LocalWriteError(f"cannot write {tmp}: {err}") from err
                received += len(chunk)
                bar.update(len(chunk))
    if total is not None and received != total:
        raise _Truncated(f"truncated transfer: got {received} of {total} bytes")


def _manual_help(urls: Sequence[str], dest: Path, expected: dict[str, str | None]) -> str:
    sums = "\n".join(f"  {algo}: {want}" for algo, want in expected.items() if want)
    algo = "sha256" if expected["sha256"] else "md5"
    return ("Download it by hand from one of:\n" + "\n".join(f"  {u}" for u in urls)
            + f"\nand save it exactly as:\n  {dest}\nIts checksum must be:\n{sums}\n"
            f"(check with: python -c \"import hashlib; print(hashlib.{algo}(open(r'{dest}', "
            "'rb').read()).hexdigest())\")")


def download(url: str, dest: str | os.PathLike, sha256: str | None, *, md5: str | None = None,
             mirrors: Sequence[str] = (), timeout: float = 30.0, retries: int = 2,
             progress: bool = True) -> Path:
    """Download ``url`` to ``dest`` and return ``dest`` once its checksum is verified.

    ``sha256`` (and/or ``md5``, for sources that only publish an md5) is checked *after* the
    transfer; at least one of them is required. Each URL (``url`` then ``mirrors``, in order) is
    tried ``1 + retries`` times with ``timeout`` seconds per socket operation; a 4xx answer or a
    hash mismatch moves on to the next URL at once. A bad hash raises :class:`ChecksumError`
    naming both hashes when no URL gave a good copy; network failures raise :class:`OfflineError`.

    >>> download("https://example.org/x.bin", "x.bin", sha256="0" * 64)  # doctest: +SKIP
    PosixPath('/abs/path/x.bin')
    """
    dest = Path(dest).expanduser().resolve()
    expected = {"sha256": sha256, "md5": md5}
    if sha256 is None and md5 is None:
        raise ValueError(f"Refusing to download {dest.name} without a checksum: pass sha256= or md5=.")
    _check_digest("sha256", sha256)
    _check_digest("md5", md5)
    if dest.is_dir():
        raise IsADirectoryError(f"{dest} is a directory: give the file name to save to, "
                                f"e.g. {dest / 'file.bin'}.")
    urls = [url, *mirrors]
    corrupt = ""
    if dest.exists():
        problem = _mismatch(_hashes(dest), expected)
        if problem is None:
            return dest
        corrupt = (f"\nThe existing file {dest} is corrupt ({problem}); it was NOT used. "
                   "Delete it or replace it with a good copy.")
    if is_offline():
        raise OfflineError(f"{dest.name} is needed but COURSE_OFFLINE=1 forbids downloads.{corrupt}\n"
                           + _manual_help(urls, dest, expected))

    errors: list[str] = []
    bad_hash: str | None = None
    for u in urls:
        if urllib.parse.urlsplit(u).scheme not in ("http", "https", "ftp", "file"):
            errors.append(f"{u}: not a URL (it needs http:// or https://); skipped")
            continue
        for attempt in range(retries + 1):
            try:
                dest.parent.mkdir(parents=True, exist_ok=True)
                fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
            except OSError as err:
                raise LocalWriteError(f"Cannot write into {dest.parent} ({err}). Check that the folder is "
                                      "writable and the disk has space, or set COURSE_DATA_DIR to another "
                                      "folder.") from err
            os.close(fd)
            tmp = Path(name)
            try:
                _fetch(u, tmp, timeout, progress, dest.name)
                problem = _mismatch(_hashes(tmp), expected)
                if problem is None:
                    os.replace(tmp, dest)
                    return dest
                bad_hash = f"{dest.name} from {u}: {problem}"
                errors.append(f"{u}: checksum mismatch ({problem})")
                break  # the same server would send the same bytes: try the next URL
            except LocalWriteError as exc:
                raise LocalWriteError(f"Downloading {dest.name} failed on this machine, not on the network: "
                                      f"{exc}. Free some disk space or fix the folder's permissions, or set "
                                      "COURSE_DATA_DIR to another folder.") from exc
            except (OSError, http.client.HTTPException) as exc:
                errors.append(f"{u}: {exc}")
                if isinstance(exc, urllib.error.HTTPError):
                    exc.close()
                    if 400 <= exc.code < 500:
                        break  # 404, 403, ...: retrying will not help
                if attempt < retries:
                    time.sleep(min(0.25 * 2**attempt, 4.0))
            finally:
                tmp.unlink(missing_ok=True)
    if bad_hash is not None:
        raise ChecksumError(f"Checksum mismatch for {bad_hash}. The bad copy was deleted; nothing "
                            f"was written to {dest}.{corrupt}\nAttempts:\n  " + "\n  ".join(errors)
                            + "\n" + _manual_help(urls, dest, expected))
    raise OfflineError(f"Could not download {dest.name}: every URL failed.{corrupt}\nAttempts:\n  "
                       + "\n  ".join(errors) + "\n" + _manual_help(urls, dest, expected))
