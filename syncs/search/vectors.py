"""Semantic retrieval: exact nearest neighbours over a collection's chunk vectors.

A collection's vectors are read once into one float32 matrix per process and kept while the
collection's chunks are unchanged: ids are never reused (a PostgreSQL sequence, SQLite's
AUTOINCREMENT), so an unchanged count and highest id mean nothing was added or removed.
A query is then one matrix product.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection

from syncs.search.backends.base import KeywordBackend

CACHED_COLLECTIONS = 4


@dataclass
class _Matrix:
    signature: tuple
    ids: np.ndarray
    vectors: np.ndarray


_cache: OrderedDict[Any, _Matrix] = OrderedDict()
_lock = threading.Lock()


def semantic_search(
    *,
    collection_id,
    query_vector: np.ndarray,
    where: str = "",
    where_params: list[Any] | None = None,
    limit: int,
) -> list[tuple[int, float]]:
    """The ``limit`` chunks closest to ``query_vector`` (cosine similarity), best first."""
    matrix = _collection_matrix(collection_id, query_vector.shape[0])
    if matrix.ids.size == 0 or limit <= 0:
        return []
    scores = matrix.vectors @ query_vector.astype(np.float32)
    if where:
        allowed = _filtered_ids(collection_id, where, where_params or [])
        scores = np.where(np.isin(matrix.ids, allowed), scores, -np.inf)
    count = min(limit, scores.size)
    top = np.argpartition(-scores, count - 1)[:count]
    top = top[np.lexsort((matrix.ids[top], -scores[top]))]
    return [(int(matrix.ids[i]), float(scores[i])) for i in top if np.isfinite(scores[i])]


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _collection_matrix(collection_id, dimensions: int) -> _Matrix:
    value = KeywordBackend.collection_value(collection_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*), MAX(id) FROM syncs_searchchunk "
            "WHERE collection_id = %s AND embedding IS NOT NULL",
            [value],
        )
        signature = (*cursor.fetchone(), dimensions, connection.settings_dict["NAME"])
    key = (str(collection_id), connection.alias)
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached.signature == signature:
            _cache.move_to_end(key)
            return cached
    matrix = _load(value, dimensions, signature)
    with _lock:
        _cache[key] = matrix
        while len(_cache) > CACHED_COLLECTIONS:
            _cache.popitem(last=False)
    return matrix


def _load(collection_value, dimensions: int, signature: tuple) -> _Matrix:
    width = dimensions * 4
    ids: list[int] = []
    blobs: list[bytes] = []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, embedding FROM syncs_searchchunk "
            "WHERE collection_id = %s AND embedding IS NOT NULL ORDER BY id",
            [collection_value],
        )
        for chunk_id, blob in cursor.fetchall():
            # Vectors of another embedder (another width) wait for a reindex.
            if len(blob) == width:
                ids.append(chunk_id)
                blobs.append(bytes(blob))
    vectors = np.frombuffer(b"".join(blobs), dtype="<f4").reshape(len(ids), dimensions)
    return _Matrix(signature, np.array(ids, dtype=np.int64), vectors)


def _filtered_ids(collection_id, where: str, where_params: list[Any]) -> np.ndarray:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.id FROM syncs_searchchunk c JOIN syncs_entity e ON e.id = c.entity_id "
            f"WHERE c.collection_id = %s AND c.embedding IS NOT NULL AND {where}",
            [KeywordBackend.collection_value(collection_id), *where_params],
        )
        return np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
