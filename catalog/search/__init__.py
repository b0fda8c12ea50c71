"""Search over an artist's own library: prompts ranked by meaning (pgvector HNSW) or by words.

Ranking (both modes work on *prompts* first, then on the assets and sessions that use them):
- **SEMANTIC**: the query text is embedded with the model that embedded the stored prompts
  (all-MiniLM-L6-v2); the viewer's nearest prompts are found by cosine distance through the HNSW
  index (:mod:`catalog.search.candidates`). An asset's score is the cosine similarity (−1…1) of its
  prompt to the query; a session's score is its best asset's score (max), and that asset is its
  ``best_match``.
- **LEXICAL** (fallback while no prompt of the viewer has an embedding, when the model cannot load,
  or when embeddings are switched off): PostgreSQL full text (``english`` configuration), any query
  word may match; a prompt's score is ``ts_rank`` (≥ 0, comparable only within one answer).

Invariants: every statement filters by the viewer's ``user_id`` through ``assets`` (embeddings are
shared by prompt hash across users, so an embedding row never decides ownership); the number of
statements per request is bounded whatever ``first`` is; the query embedding runs in a thread.
"""
