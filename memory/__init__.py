"""The memory stream of a generative agent: records, embeddings, a vector index and retrieval."""
