"""Which text, and which target, each training view gets when a network learns to follow words.

A run with ``intent_rate`` or ``null_text_rate`` above zero draws, for every view of a batch:

- with chance ``null_text_rate``: no description at any level (``--describer none`` at
  inference), and the neutral target;
- with chance ``intent_rate``: one of the task's intents (``mtif.data.intents``), its semantic
  description in one of that intent's training wordings, alone or (with chance
  ``intent_scene_rate``) after the pair's own semantic description (a user's sentence alone, or
  a VLM's paragraph that ends with a wish), and the target that intent makes from the view;
  detail and structure stay the pair's own;
- otherwise: the pair's own descriptions (the describer's, the default path) and the neutral
  target, the first intent's.
The text is true by construction: the target was made by the rule the words name.

With ``use_text=false`` (the paper's w/o TG) the same intents and targets are drawn but no words
reach the network: the control that shows what the words themselves buy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mtif.data.intents import Intent
from mtif.text import LevelTokens, TextFeatures, null_features, with_level


@dataclass(frozen=True)
class TextPlan:
    """The intents to teach, the semantic tokens of their training wordings, and the rates.

    ``wordings[k]``: the encoded training wordings of ``intents[k]``. ``intents[0]`` is the
    neutral one: its target is what views without an intent are compared with.
    """

    intents: tuple[Intent, ...]
    wordings: tuple[tuple[LevelTokens, ...], ...]
    intent_rate: float
    null_rate: float
    dim: int
    encoder: str
    scene_rate: float = 0.5

    def __post_init__(self) -> None:
        if len(self.wordings) != len(self.intents) or (
            self.intent_rate > 0 and not all(self.wordings)
        ):
            raise ValueError("every intent needs at least one encoded training wording")
        if not (
            self.intent_rate >= 0 and self.null_rate >= 0 and self.intent_rate + self.null_rate <= 1
        ):
            raise ValueError(
                f"intent_rate ({self.intent_rate}) and null_text_rate ({self.null_rate}) must be "
                "at least 0 and add up to at most 1"
            )


def draw_text(
    plan: TextPlan,
    text: TextFeatures | None,
    scene_intents: tuple[LevelTokens, ...],
    view: tuple[np.ndarray, ...],
    rng: np.random.Generator,
) -> tuple[TextFeatures | None, np.ndarray]:
    """One view's text and target (see the module docstring). ``view`` is ``(a, b)`` or
    ``(a, b, gt)``; ``scene_intents[k]``: the pair's semantic text followed by a wording of
    intent ``k`` (empty when the pair has none)."""
    a, b = view[0], view[1]
    gt = view[2] if len(view) == 3 else None
    u = rng.random()
    if u < plan.null_rate:
        return null_features(plan.dim, plan.encoder), plan.intents[0].target(a, b, gt)
    if u >= plan.null_rate + plan.intent_rate:
        return text, plan.intents[0].target(a, b, gt)
    k = int(rng.integers(len(plan.intents)))
    if text is None:
        return None, plan.intents[k].target(a, b, gt)
    if scene_intents and rng.random() < plan.scene_rate:
        semantic = scene_intents[k]
    else:
        options = plan.wordings[k]
        semantic = options[int(rng.integers(len(options)))]
    return with_level(text, "semantic", semantic), plan.intents[k].target(a, b, gt)
