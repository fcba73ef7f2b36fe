"""Search over collections: chunked index, keyword and semantic retrieval, the three tiers."""
