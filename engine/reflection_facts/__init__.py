"""Session facts for a reflection: pure, deterministic computation over one session's plain data.

What the Museum Curator may say about a session, computed once: session facts (duration, counts,
phases with intents, the label, a lineage summary), the *prompt evolution* (distinct prompts in order
of first use with the terms and weights added, removed and re-weighted, grouped by phase, with how
long each was kept), *parameter trajectories* (CFG, steps, sampler, scheduler, model, LoRAs and their
weights, denoise, size, compressed to change points and ranges; the seeds tried) and *representative
images* chosen for coverage. :meth:`SessionFacts.to_json` is the JSON form, and
:meth:`SessionFacts.grounding_vocabulary` what a reflection may cite.

Build with :func:`build_session_facts` from :class:`FactAsset` (stream order), :class:`FactPhase`
and :class:`FactLineageEdge`. No I/O, no database; the same input gives equal facts.
"""

from engine.reflection_facts.facts_json import FULL_DETAIL, FactsDetail, facts_json
from engine.reflection_facts.inputs import FactAsset, FactLineageEdge, FactPhase
from engine.reflection_facts.lineage_summary import LineageSummary
from engine.reflection_facts.parameter_trajectories import (
    LoraTrajectory,
    ParameterTrajectory,
    ParameterValue,
    TrajectorySegment,
)
from engine.reflection_facts.prompt_evolution import (
    NEW,
    RETURN,
    PromptChange,
    PromptEvolution,
    PromptVersion,
)
from engine.reflection_facts.representatives import RepresentativeFact
from engine.reflection_facts.seed_facts import FixedSeedRun, SeedFacts
from engine.reflection_facts.session_facts import (
    DEFAULT_REPRESENTATIVE_COUNT,
    PhaseFacts,
    SessionFacts,
    build_session_facts,
)
from engine.reflection_facts.weighted_terms import (
    PromptTerm,
    TermChange,
    TermDiff,
    diff_terms,
    prompt_terms,
    reset_term_caches,
)
from engine.short_text import cut_text

__all__ = [
    "DEFAULT_REPRESENTATIVE_COUNT",
    "FULL_DETAIL",
    "NEW",
    "RETURN",
    "FactAsset",
    "FactLineageEdge",
    "FactPhase",
    "FactsDetail",
    "FixedSeedRun",
    "LineageSummary",
    "LoraTrajectory",
    "ParameterTrajectory",
    "ParameterValue",
    "PhaseFacts",
    "PromptChange",
    "PromptEvolution",
    "PromptTerm",
    "PromptVersion",
    "RepresentativeFact",
    "SeedFacts",
    "SessionFacts",
    "TermChange",
    "TermDiff",
    "TrajectorySegment",
    "build_session_facts",
    "cut_text",
    "diff_terms",
    "facts_json",
    "prompt_terms",
    "reset_term_caches",
]
