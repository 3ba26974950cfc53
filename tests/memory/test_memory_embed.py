"""Embedders: the hashing stand-in, and the bundled MiniLM model (loaded once for this module)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from memory import Embedder, HashingEmbedder, MemoryStream, SentenceTransformerEmbedder

REPO = Path(__file__).resolve().parents[2]


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    return float(a @ b)


# ---- hashing embedder ---------------------------------------------------------------------


def test_hashing_rows_are_unit_float32_and_in_order() -> None:
    embedder = HashingEmbedder(dim=64)
    texts = ["Klaus is reading", "", "!!!", "Isabella is brewing coffee"]
    vectors = embedder.embed(texts)
    assert vectors.dtype == np.float32
    assert vectors.shape == (4, 64)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-6)
    np.testing.assert_array_equal(vectors[3], embedder.embed([texts[3]])[0])
    assert embedder.embed([]).shape == (0, 64)


def test_hashing_similar_texts_are_closer() -> None:
    embedder = HashingEmbedder()
    memory, query, other = embedder.embed(
        [
            "Isabella is brewing coffee at Hobbs Cafe",
            "coffee at the cafe",
            "Klaus is reading in the library",
        ]
    )
    assert cosine(memory, query) > cosine(other, query) + 0.2


def test_hashing_is_the_same_in_another_process() -> None:
    # Python salts str hashes per process; the embedder must not depend on them.
    code = (
        "import sys; from memory import HashingEmbedder; "
        "sys.stdout.write(HashingEmbedder(32).embed(['the stove is idle']).tobytes().hex())"
    )
    env = {"PYTHONHASHSEED": "12345", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True, check=True
    ).stdout
    here = HashingEmbedder(32).embed(["the stove is idle"]).tobytes().hex()
    assert out == here


def test_embedders_satisfy_the_protocol() -> None:
    assert isinstance(HashingEmbedder(), Embedder)
    assert isinstance(SentenceTransformerEmbedder(), Embedder)  # does not load the model


@pytest.mark.parametrize("bad", ["a single string", [1, 2], [b"bytes"]])
def test_embed_refuses_what_is_not_a_list_of_texts(bad: object) -> None:
    with pytest.raises(TypeError):
        HashingEmbedder().embed(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        SentenceTransformerEmbedder().embed(bad)  # type: ignore[arg-type]


def test_hashing_dim_too_small() -> None:
    with pytest.raises(ValueError, match="dim"):
        HashingEmbedder(dim=2)


# ---- the real model -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    embedder = SentenceTransformerEmbedder()
    embedder.embed(["warm up"])  # loads the model once for the whole module
    return embedder


@pytest.mark.slow  # (seconds: the whole suite has it, not `make check`)
def test_minilm_coffee_is_closer_to_the_cafe_than_the_library(
    minilm: SentenceTransformerEmbedder,
) -> None:
    memory, query, other = minilm.embed(
        [
            "Isabella is brewing coffee at Hobbs Cafe",
            "coffee at the cafe",
            "Klaus is reading in the library",
        ]
    )
    assert cosine(memory, query) > cosine(other, query)
    assert cosine(memory, query) > 0.5 > cosine(other, query)


@pytest.mark.slow
def test_minilm_rows_are_unit_float32(minilm: SentenceTransformerEmbedder) -> None:
    vectors = minilm.embed(["Klaus Mueller is writing a research paper", "the stove is idle"])
    assert vectors.dtype == np.float32
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


@pytest.mark.slow
def test_minilm_model_is_loaded_once_and_shared(minilm: SentenceTransformerEmbedder) -> None:
    assert SentenceTransformerEmbedder(batch_size=8).model is minilm.model


@pytest.mark.slow
def test_minilm_never_encodes_a_text_twice(minilm: SentenceTransformerEmbedder) -> None:
    texts = ["Maria is studying for an exam (cache test)", "Sam is running for mayor (cache test)"]
    before = SentenceTransformerEmbedder.cache_info()["encoded"]
    first = minilm.embed(texts + texts)  # a text repeated within one call counts once
    assert SentenceTransformerEmbedder.cache_info()["encoded"] == before + 2
    again = SentenceTransformerEmbedder(batch_size=1).embed(texts[::-1])  # another instance
    assert SentenceTransformerEmbedder.cache_info()["encoded"] == before + 2
    np.testing.assert_array_equal(again, first[[1, 0]])


@pytest.mark.slow
def test_minilm_batched_equals_one_by_one(minilm: SentenceTransformerEmbedder) -> None:
    texts = [f"Tom is painting fence number {i} (batch test)" for i in range(5)]
    batched = minilm.embed(texts)
    SentenceTransformerEmbedder.clear_cache()
    alone = np.stack([minilm.embed([t])[0] for t in texts])
    np.testing.assert_allclose(batched, alone, atol=1e-5)


@pytest.mark.slow
def test_minilm_stream_retrieves_the_relevant_memory(minilm: SentenceTransformerEmbedder) -> None:
    stream = MemoryStream("Isabella Rodriguez", minilm)
    stream.add("Klaus is reading in the library", "observation", tick=0, importance=3)
    stream.add("Isabella is brewing coffee at Hobbs Cafe", "observation", tick=0, importance=3)
    stream.add("The town hall roof is being repaired", "observation", tick=0, importance=3)
    best = stream.retrieve("coffee at the cafe", now=0, k=1)
    assert [m.text for m in best] == ["Isabella is brewing coffee at Hobbs Cafe"]
