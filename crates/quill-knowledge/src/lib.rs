//! Rung 3: the creator's documents, chunked and indexed (BM25 + MiniLM embeddings) for cited retrieval.
