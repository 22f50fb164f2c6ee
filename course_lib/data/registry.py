"""Registry of the "full" (opt-in, downloaded) data sets, and the ``data list/prefetch`` commands.

Every notebook runs on offline data (:mod:`course_lib.data.sources`). Learners with a network and
time can switch to the full data sets below; instructors fetch them once before a workshop with
``python -m course_lib data prefetch`` (files land in ``data_dir()/<name>/``).

Where the checksums come from — we never invent one:

* ``sha256`` + exact ``size``: MNIST, Fashion-MNIST and IMDB, from TensorFlow Datasets'
  ``url_checksums`` files (their md5s, from torchvision/torchtext, are checked too).
* ``sha256`` only: Cora, as pinned by an independent open-source loader for planetoid commit
  ``af6abf4`` (the dataset authors publish no checksum); its sizes are estimates.
* ``md5`` only: MedMNIST (``medmnist/info.py``) and Multi30k en/fr (torchtext's Multi30k table).
  For these, :func:`fetch` verifies the md5, then records the file's sha256 in
  ``data_dir()/<name>/SHA256SUMS`` on the first verified download and checks it from then on.
  Their ``size`` is an estimate (shown with ``~``); the checksum, not the size, is what is verified.
* Tatoeba is not listed: its exports change daily, so no checksum can be pinned. Multi30k is the
  en→fr source instead.

>>> sorted(REGISTRY)[:3]
['cora', 'fashion_mnist', 'imdb']
>>> REGISTRY["mnist"].files[0].name
'train-images-idx3-ubyte.gz'
"""

from __future__ import annotations

import re
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from ..config import data_dir
from ..files import atomic_write
from .downloader import ChecksumError, OfflineError, download, sha256sum
from .sources import OFFLINE_SOURCES, offline_status


@dataclass(frozen=True)
class RemoteFile:
    """One file of a full data set: where to get it and how to recognise a good copy."""

    name: str
    urls: tuple[str, ...]          # first one tried first; the rest are mirrors
    size: int                      # bytes (exact unless ``size_is_estimate``)
    sha256: str | None = None
    md5: str | None = None
    size_is_estimate: bool = False


@dataclass(frozen=True)
class FullDataset:
    """A downloadable data set with its licence, citation and the notebooks that use it."""

    name: str
    title: str
    files: tuple[RemoteFile, ...]
    licence: str
    citation: str
    notebooks: tuple[str, ...]
    offline_instead: str           # what the notebooks use when this is not downloaded
    homepage: str = ""

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files)


def _mirrored(bases: tuple[str, ...], name: str, query: str = "") -> tuple[str, ...]:
    return tuple(f"{base}{name}{query}" for base in bases)


_MNIST_BASES = ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                "https://storage.googleapis.com/cvdf-datasets/mnist/")
_FASHION_BASES = ("https://github.com/zalandoresearch/fashion-mnist/raw/master/data/fashion/",
                  "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/")
_MEDMNIST_BASES = ("https://zenodo.org/records/10519652/files/",   # MedMNIST v3 record
                   "https://zenodo.org/record/6496656/files/")     # MedMNIST v2 record, same files
_PLANETOID_COMMIT = "af6abf468a772cc055bec88c52e4d6f51b7c37e3"
_CORA_BASES = (f"https://raw.githubusercontent.com/kimiyoung/planetoid/{_PLANETOID_COMMIT}/data/",
               "https://github.com/kimiyoung/planetoid/raw/master/data/")
_MULTI30K_BASES = ("https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/",
                   "https://github.com/multi30k/dataset/raw/master/data/task1/raw/")

# (file, size, sha256, md5): sha256 + size from TFDS url_checksums, md5 from torchvision.
_MNIST = [
    ("train-images-idx3-ubyte.gz", 9912422,
     "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609", "f68b3c2dcbeaaa9fbdd348bbdeb94873"),
    ("train-labels-idx1-ubyte.gz", 28881,
     "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c", "d53e105ee54ea40749a09fcbcd1e9432"),
    ("t10k-images-idx3-ubyte.gz", 1648877,
     "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6", "9fb629c4189551a2d022fa330f9573f3"),
    ("t10k-labels-idx1-ubyte.gz", 4542,
     "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6", "ec29112dd5afa0611ce80d1b7f02629c"),
]
_FASHION = [
    ("train-images-idx3-ubyte.gz", 26421880,
     "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
    ("train-labels-idx1-ubyte.gz", 29515,
     "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845", "25c81989df183df01b3e8a0aad5dffbe"),
    ("t10k-images-idx3-ubyte.gz", 4422102,
     "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073", "bef4ecab320f06d8554ea6380940ec79"),
    ("t10k-labels-idx1-ubyte.gz", 5148,
     "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5", "bb300cfdad3c16e7a12a480ee83cd310"),
]
# Planetoid Cora (file, sha256, estimated size); the 8 pickles/text files PyG's Planetoid reads.
_CORA = [
    ("ind.cora.x", "23cfa55d91c6f624233f5eb7b6e3f141f1bd2b2ae39608a63cf5d084bb27baab", 25_000),
    ("ind.cora.tx", "b9afbaa4a400df991f6f02ef677e1e44da55ffc04801fd02f9e673987829226a", 150_000),
    ("ind.cora.allx", "9419ba2f26f5c35243db64aba110e0f35a04851609e0dc5433450676ca6b8543", 260_000),
    ("ind.cora.y", "94465c14eb53e04ca262198dcbb2521ee8af60fb3f3d546cd6ca24a511b0e7d1", 8_000),
    ("ind.cora.ty", "41f5ac76596a1699cc33f53084a2419e92961c42bb75f36fc38e616d348532ad", 56_000),
    ("ind.cora.ally", "2b998f5cc7fedc86e7f97ca2498f47a1ffc1462c29e2d578b23bf3f62b6e7d71", 96_000),
    ("ind.cora.graph", "58f13302f39dde8852dad6fe6d15b89b077b6d7f837626bce671ef80344b383d", 40_000),
    ("ind.cora.test.index", "297ce89af2b51a6a194181c7dbe1796c6a1cf9cd9349a88383b1b1e227867875", 5_000),
]
# Multi30k task 1, English and French (file, md5 from torchtext, estimated size).
_MULTI30K = [
    ("train.en.gz", "0065d13af80720a55ca8153d126e6627", 600_000),
    ("train.fr.gz", "6cb767741dcad3931f966fefbc05203f", 700_000),
    ("val.en.gz", "2b69aa9253948ac9f67e94917272dd40", 25_000),
    ("val.fr.gz", "93fc564584b7e5ba410c761ea5a1c682", 28_000),
    ("test_2016_flickr.en.gz", "ff2c0fcb4893a13bd73414306bc250ae", 25_000),
    ("test_2016_flickr.fr.gz", "08dc7cd4a662f31718412de95ca9bfe3", 28_000),
]

REGISTRY: dict[str, FullDataset] = {d.name: d for d in [
    FullDataset(
        name="mnist", title="MNIST (70,000 handwritten digits, 28×28)",
        files=tuple(RemoteFile(f, _mirrored(_MNIST_BASES, f), size, sha, md5)
                    for f, size, sha, md5 in _MNIST),
        licence="CC BY-SA 3.0 (Y. LeCun and C. Cortes)",
        citation="LeCun, Bottou, Bengio, Haffner (1998). Gradient-based learning applied to document "
                 "recognition. Proc. IEEE 86(11):2278-2324.",
        notebooks=("08", "10"), offline_instead="mnist5k", homepage="http://yann.lecun.com/exdb/mnist/"),
    FullDataset(
        name="fashion_mnist", title="Fashion-MNIST (70,000 Zalando article images, 28×28)",
        files=tuple(RemoteFile(f, _mirrored(_FASHION_BASES, f), size, sha, md5)
                    for f, size, sha, md5 in _FASHION),
        licence="MIT",
        citation="Xiao, Rasul, Vollgraf (2017). Fashion-MNIST: a novel image dataset for benchmarking "
                 "machine learning algorithms. arXiv:1708.07747.",
        notebooks=("08", "10"), offline_instead="mnist5k",
        homepage="https://github.com/zalandoresearch/fashion-mnist"),
    FullDataset(
        name="medmnist", title="MedMNIST v2: PneumoniaMNIST (chest X-ray, 28×28) and NoduleMNIST3D (CT, 28³)",
        files=(RemoteFile("pneumoniamnist.npz",
                          _mirrored(_MEDMNIST_BASES, "pneumoniamnist.npz", "?download=1"), 4_200_000,
                          md5="28209eda62fecd6e6a2d98b1501bb15f", size_is_estimate=True),
               RemoteFile("nodulemnist3d.npz",
                          _mirrored(_MEDMNIST_BASES, "nodulemnist3d.npz", "?download=1"), 30_000_000,
                          md5="8755a7e9e05a4d9ce80a24c3e7a256f3", size_is_estimate=True)),
        licence="CC BY 4.0 (see also the source data sets' terms)",
        citation="Yang, Shi, Wei, Liu, Zhao, Ke, Pfister, Ni (2023). MedMNIST v2 - A large-scale "
                 "lightweight benchmark for 2D and 3D biomedical image classification. Sci. Data 10:41.",
        notebooks=("09",), offline_instead="simulated CT",
        homepage="https://medmnist.com"),
    FullDataset(
        name="imdb", title="IMDB movie reviews (50,000, positive/negative)",
        files=(RemoteFile("aclImdb_v1.tar.gz", ("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz",),
                          84125825, "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe",
                          "7c2ac02c03563afcf9b574c7e56c153a"),),
        licence="No explicit licence; research use, cite the paper",
        citation="Maas, Daly, Pham, Huang, Ng, Potts (2011). Learning word vectors for sentiment "
                 "analysis. ACL 2011.",
        notebooks=("11", "12"), offline_instead="tweets",
        homepage="https://ai.stanford.edu/~amaas/data/sentiment/"),
    FullDataset(
        name="multi30k_en_fr", title="Multi30k task 1, English→French image captions (31k pairs)",
        files=tuple(RemoteFile(f, _mirrored(_MULTI30K_BASES, f), size, md5=md5, size_is_estimate=True)
                    for f, md5, size in _MULTI30K),
        licence="Research, non-commercial (Flickr30k terms)",
        citation="Elliott, Frank, Sima'an, Specia (2016). Multi30K: Multilingual English-German image "
                 "descriptions. VL Workshop. French: Elliott, Frank, Barrault, Bougares, Specia (2017). "
                 "Findings of the second shared task on multimodal machine translation. WMT.",
        notebooks=("13",), offline_instead="en_fr", homepage="https://github.com/multi30k/dataset"),
    FullDataset(
        name="cora", title="Cora citation graph, Planetoid split (2,708 papers, 7 topics)",
        files=tuple(RemoteFile(f, _mirrored(_CORA_BASES, f), size, sha, size_is_estimate=True)
                    for f, sha, size in _CORA),
        licence="None stated by the source; research use",
        citation="Yang, Cohen, Salakhutdinov (2016). Revisiting semi-supervised learning with graph "
                 "embeddings. ICML. Data: McCallum et al. (2000); Sen et al. (2008), AI Magazine.",
        notebooks=("14",), offline_instead="social_graphs", homepage="https://github.com/kimiyoung/planetoid"),
]}


def _lookup(name: str) -> FullDataset:
    if name not in REGISTRY:
        raise ValueError(f"Unknown dataset {name!r}. Known full datasets: {', '.join(REGISTRY)}. "
                         "(Offline sources need no download: see `python -m course_lib data list`.)")
    return REGISTRY[name]


def dataset_dir(name: str, root: str | Path | None = None) -> Path:
    """Folder of a full data set: ``root/<name>`` (default ``data_dir()/<name>``)."""
    _lookup(name)
    return Path(root if root is not None else data_dir()) / name


def _recorded_sha256(folder: Path) -> dict[str, str]:
    """Read ``SHA256SUMS`` (``sha256sum`` format: ``<hash>  <file>``) of a data set folder."""
    sums = folder / "SHA256SUMS"
    if not sums.exists():
        return {}
    recorded = {}
    for number, line in enumerate(sums.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        parts = line.split(maxsplit=1)
        if not parts:
            continue
        if len(parts) != 2 or not re.fullmatch(r"[0-9a-fA-F]{64}", parts[0]):
            warnings.warn(f"{sums}, line {number}: not '<sha256>  <file>', ignored: {line[:80]!r}",
                          stacklevel=2)
            continue
        recorded[parts[1].strip().lstrip("*")] = parts[0].lower()
    return recorded


def fetch(name: str, *, root: str | Path | None = None, progress: bool = True) -> list[Path]:
    """Download (or verify) every file of a full data set; return their paths.

    Files already present with the right checksum are not downloaded again. md5-only files get
    their sha256 written to ``SHA256SUMS`` after the first verified download. Every file is
    tried; if some fail, one error lists them all (with how to get each by hand).

    >>> fetch("mnist")  # doctest: +SKIP
    [PosixPath('.../data/mnist/train-images-idx3-ubyte.gz'), ...]
    """
    ds = _lookup(name)
    folder = dataset_dir(name, root)
    recorded = _recorded_sha256(folder)
    paths, failures = [], []
    for f in ds.files:
        sha = f.sha256 or recorded.get(f.name)
        try:
            path = download(f.urls[0], folder / f.name, sha, md5=f.md5, mirrors=f.urls[1:],
                            progress=progress)
        except (OfflineError, ChecksumError) as exc:
            failures.append(exc)
            continue
        if sha is None:
            recorded[f.name] = sha256sum(path)
            atomic_write(folder / "SHA256SUMS", "".join(f"{h}  {n}\n" for n, h in sorted(recorded.items())))
        paths.append(path)
    if failures:
        kind = ChecksumError if any(isinstance(e, ChecksumError) for e in failures) else OfflineError
        raise kind(f"{len(failures)} of {len(ds.files)} file(s) of {name!r} could not be fetched.\n\n"
                   + "\n\n".join(map(str, failures)))
    return paths


class StatusRow(NamedTuple):
    name: str
    kind: str             # "offline" (ships in a package) or "download" (full data set)
    present: bool
    size: int | None      # bytes to download (None for offline sources)
    note: str


def status(root: str | Path | None = None) -> list[StatusRow]:
    """One row per offline source and per full data set: is it here, and how big is it.

    A full data set counts as present when all its files exist (checksums are verified on use).

    >>> rows = status()
    >>> {r.kind for r in rows} == {"offline", "download"}
    True
    """
    ready = offline_status()
    rows = [StatusRow(n, "offline", ready[n], None, desc if ready[n] else f"pip install {pip}")
            for n, (_pkg, pip, desc) in OFFLINE_SOURCES.items()]
    for ds in REGISTRY.values():
        folder = dataset_dir(ds.name, root)
        present = all((folder / f.name).exists() for f in ds.files)
        rows.append(StatusRow(ds.name, "download", present, ds.size, ds.title))
    return rows


def _human(n: int, estimate: bool) -> str:
    size = f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n / 1e3:.0f} kB"
    return ("~" if estimate else "") + size


def cli_list() -> int:
    """``python -m course_lib data list``: print what works offline and what needs a download."""
    rows = status()
    print("Offline sources (ship inside installed packages; no download):")
    for row in rows:
        if row.kind == "offline":
            state = "offline, ready" if row.present else f"missing: {row.note}"
            print(f"  {row.name:<16} {state:<42} {OFFLINE_SOURCES[row.name][2] if row.present else ''}")
    print("\nFull datasets (opt-in: python -m course_lib data prefetch [NAMES]):")
    print(f"  {'name':<16} {'size':>9}  {'status':<15} {'notebooks':<10} {'offline instead':<18} licence")
    for row in rows:
        if row.kind == "download":
            ds = REGISTRY[row.name]
            size = _human(ds.size, any(f.size_is_estimate for f in ds.files))
            state = "downloaded" if row.present else "not downloaded"
            print(f"  {ds.name:<16} {size:>9}  {state:<15} {', '.join(ds.notebooks):<10} "
                  f"{ds.offline_instead[:18]:<18} {ds.licence}")
    print(f"\nData folder: {data_dir()}  (set COURSE_DATA_DIR to change it)")
    return 0


def cli_prefetch(names: list[str]) -> int:
    """``python -m course_lib data prefetch [NAMES]``: fetch full data sets (all when no name given).

    Returns 0 when every file is present and verified, 1 when some could not be fetched
    (the message says how to get them by hand), 2 for an unknown name.
    """
    unknown = [n for n in names if n not in REGISTRY]
    if unknown:
        print(f"Unknown dataset(s): {', '.join(unknown)}. Known full datasets: {', '.join(REGISTRY)}.",
              file=sys.stderr)
        return 2
    failed = []
    for name in names or list(REGISTRY):
        ds = REGISTRY[name]
        print(f"{name}: {ds.title}, {_human(ds.size, any(f.size_is_estimate for f in ds.files))}")
        try:
            paths = fetch(name)
        except (OfflineError, ChecksumError) as exc:
            failed.append(name)
            print(f"  FAILED: {exc}", file=sys.stderr)
            continue
        print(f"  ok: {len(paths)} file(s) verified in {paths[0].parent}")
    if failed:
        print(f"Could not fetch: {', '.join(failed)}. The notebooks still run on the offline sources.",
              file=sys.stderr)
        return 1
    return 0
