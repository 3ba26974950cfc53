"""The memory stream of a generative agent: records, embeddings, a vector index and retrieval.

Independent of `town/`. The sentence-transformer model loads lazily, on first embedding.
"""

from memory.embed import Embedder, HashingEmbedder, SentenceTransformerEmbedder
from memory.ids import IdAllocator
from memory.index import CorruptIndexError, VectorIndex
from memory.record import MemoryKind, MemoryRecord
from memory.retrieve import RecencyDecay, RetrievalWeights, reference_ranking
from memory.stream import MemoryStream, NewMemory, PendingWrites, ScoredMemory

__all__ = [
    "CorruptIndexError",
    "Embedder",
    "HashingEmbedder",
    "IdAllocator",
    "MemoryKind",
    "MemoryRecord",
    "MemoryStream",
    "NewMemory",
    "PendingWrites",
    "RecencyDecay",
    "RetrievalWeights",
    "ScoredMemory",
    "SentenceTransformerEmbedder",
    "VectorIndex",
    "reference_ranking",
]
