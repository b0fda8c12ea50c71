"""Session segmentation and per-session inference over the record stream.

Pipeline (``engine.session_analysis.analyze_records`` wires it):

1. ``record_stream``     records → one columnar, stream-ordered table (numpy arrays, codes per value);
2. ``temporal_signal``   per gap: robust z-score of the log gap against the artist's local pace;
3. ``parameter_signal``  per gap: tool switch, model / workflow / size change, minor parameter changes,
                         prompt context dissimilarity (lexical containment, + semantic when embedded);
4. ``boundary_scores``   one margin per gap (score − threshold) and the forced boundaries;
5. ``constraints``       the artist's corrections (must-link / cannot-link / moves / pinned labels);
6. ``phases``            per session: HMM over step observations → exploration / refinement /
                         optimization phases, optimization parameter ranges, convergent selection;
7. ``labels``            concept phrases from the prompts → descriptive labels;
8. ``lineage``           explicit parents first, then inferred ones, as a forest inside sessions;
9. ``session_builder``   assembles :class:`~engine.analysis.SessionResult` objects.

Everything is deterministic and free of I/O; per-gap work is vectorised with numpy, and per-prompt
work runs once per distinct prompt.
"""
