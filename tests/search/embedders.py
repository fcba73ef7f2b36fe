"""A deterministic embedder for tests: words hashed into dimensions, with a few synonyms.

"automobile" and "car" land on the same dimension, so semantic search finds what keyword
search cannot, without loading a model.
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

from syncs.search.embedders import register_embedder
from syncs.search.embedders.base import Embedder

SYNONYMS = {"automobile": "car", "vehicle": "car", "physician": "doctor", "canine": "dog"}


@register_embedder
class WordHashEmbedder(Embedder):
    name = "test-words"
    model_name = "test-word-hash"
    dimensions = 256

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(text) for text in texts])

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimensions, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            word = SYNONYMS.get(word, word)
            digest = hashlib.blake2b(word.encode(), digest_size=4).digest()
            vector[int.from_bytes(digest, "big") % self.dimensions] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector
