"""Data for the course: offline sources (default) and verified downloads (opt-in).

>>> from course_lib.data import load_mnist5k
"""

from .downloader import ChecksumError, OfflineError, download, sha256sum
from .registry import REGISTRY, FullDataset, RemoteFile, fetch, status
from .sources import (
    OFFLINE_SOURCES,
    DatasetInfo,
    MissingSourceError,
    Splits,
    load_digits,
    load_en_fr,
    load_faces,
    load_mnist5k,
    load_skimage_image,
    load_social_graph,
    load_tweets,
    offline_status,
    read_en_fr,
    read_tweets,
    split_indices,
)

__all__ = ["ChecksumError", "OfflineError", "download", "sha256sum", "REGISTRY", "FullDataset",
           "RemoteFile", "fetch", "status",
           "OFFLINE_SOURCES", "DatasetInfo", "MissingSourceError", "Splits", "load_digits",
           "load_en_fr", "load_faces", "load_mnist5k", "load_skimage_image", "load_social_graph",
           "load_tweets", "offline_status", "read_en_fr", "read_tweets", "split_indices"]
