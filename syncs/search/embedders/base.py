from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np


class Embedder(ABC):
    """Maps texts to unit-length float32 vectors of ``dimensions`` numbers.

    Vectors are compared by dot product (cosine similarity, as they are normalised).
    """

    name: str = ""
    model_name: str = ""
    dimensions: int = 0

    @abstractmethod
    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """One row per text, shape (len(texts), dimensions)."""

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_documents([text])[0]
