"""A sentence model shared by threads loads once, answers one call at a time and prints no bar.

Two jobs of one worker embedding prompts at start-up loaded all-MiniLM-L6-v2 twice at the same
millisecond, each loading printed transformers' "Loading weights" bar into the server's JSON log, and
two concurrent calls on one fast tokenizer can fail ("Already borrowed").
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from engine.features.prompt_embedding import PromptEmbedder

PROMPTS = [f"a lighthouse in a storm, study {index}" for index in range(40)]


def test_threads_sharing_an_embedder_load_one_model_and_get_the_same_vectors(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    import sentence_transformers

    loads: list[str] = []
    original = sentence_transformers.SentenceTransformer.__init__

    def counted(self: Any, *args: Any, **kwargs: Any) -> None:
        loads.append(str(args[0]) if args else "")
        original(self, *args, **kwargs)

    monkeypatch.setattr(sentence_transformers.SentenceTransformer, "__init__", counted)
    embedder = PromptEmbedder()
    start = threading.Barrier(6)
    results: list[dict[str, np.ndarray]] = []
    failures: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            start.wait()
            results.append(embedder.embed_prompts(PROMPTS[offset:] + PROMPTS[:offset]))
        except BaseException as error:  # reported below
            failures.append(error)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(0, 30, 5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(loads) == 1, loads
    assert len(results) == 6
    for prompt in PROMPTS:
        first = results[0][prompt]
        assert all(np.allclose(result[prompt], first, atol=1e-6) for result in results)
    assert "Loading weights" not in capfd.readouterr().err
