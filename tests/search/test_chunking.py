from __future__ import annotations

import itertools

from syncs.search.chunking import MAX_WORDS, OVERLAP_WORDS, split_text


def words(count: int, prefix: str = "w") -> str:
    return " ".join(f"{prefix}{i}" for i in range(count))


def test_short_text_is_one_chunk():
    assert split_text("  A short note.\n\nWith two paragraphs.  ") == [
        "A short note.\n\nWith two paragraphs."
    ]


def test_empty_text_is_one_empty_chunk():
    assert split_text("") == [""]


def test_long_text_is_cut_on_paragraph_boundaries():
    text = "\n\n".join(words(150, prefix=f"p{n}-") for n in range(4))
    chunks = split_text(text)
    assert len(chunks) > 1
    assert [chunk.split()[-1] for chunk in chunks][-1] == "p3-149"
    assert all(chunk.split()[-1].endswith("-149") for chunk in chunks)


def test_each_chunk_repeats_the_end_of_the_one_before():
    chunks = split_text(words(2000))
    for before, after in itertools.pairwise(chunks):
        assert after.split()[:OVERLAP_WORDS] == before.split()[-OVERLAP_WORDS:]


def test_one_huge_paragraph_is_cut_into_bounded_chunks():
    chunks = split_text(words(5000))
    assert all(len(chunk.split()) <= MAX_WORDS for chunk in chunks)
    assert chunks[-1].split()[-1] == "w4999"
