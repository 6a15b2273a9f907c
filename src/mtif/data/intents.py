"""Intents: what a user may ask of the fused image in words, and the target each one implies.

Text can only steer a network where it says something the pixels do not: a choice. A bracket of
a night street has one right answer for "keep it a night scene" and another for "lift the
shadows"; an infrared pair one for "the warm targets matter" and another for "the visible
texture matters". Training makes such text true by construction: a view drawn with an intent
gets a semantic description in one of that intent's wordings and a target made from the view by
that intent's rule (``Intent.target``). Views without an intent keep their neutral target.

Each intent has training wordings and held-out wordings. The held-out ones never reach training:
they check that free wording (a user's, a VLM's) lands where the training put it
(``benchmarks/text_effect.py``). The phrasings quoted in issue 18 ("night, keep it dark",
"bright, lift the shadows", "make the warm targets stand out", "the visible texture matters")
are held out on purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Exponent of the tone curve ``y ** KEY_GAMMA`` (low key) or ``y ** (1 / KEY_GAMMA)`` (high
#: key) applied to an exposure bracket's truth. 1.6 moves a mid-grey of 0.5 to 0.33 or 0.65,
#: a clear change of key that still keeps black at 0 and white at 1 (no detail is clipped).
KEY_GAMMA = 1.6
#: Weight of the favoured modality in an infrared intent's target
#: ``w * favoured + (1 - w) * max(ir, visible)``: the rest stays the neutral target, so the
#: other modality's bright content is not lost, only made secondary.
EMPHASIS_WEIGHT = 0.7

Target = Callable[[np.ndarray, np.ndarray, "np.ndarray | None"], np.ndarray]


@dataclass(frozen=True)
class Intent:
    """One thing a user may ask for, its wordings and its rule for the target.

    ``target(a, b, gt)`` maps a view's luma inputs (infrared first for ``ivf``) and its ground
    truth (None where the data has none) to the view's target, float32 in ``[0, 1]``.
    """

    name: str
    task: str
    train_wordings: tuple[str, ...]
    heldout_wordings: tuple[str, ...]
    target: Target


def _truth(a: np.ndarray, b: np.ndarray, gt: np.ndarray | None) -> np.ndarray:
    if gt is None:
        raise ValueError("this intent's target is made from the ground truth; the pair has none")
    return gt


def _low_key(a: np.ndarray, b: np.ndarray, gt: np.ndarray | None) -> np.ndarray:
    return np.power(_truth(a, b, gt), KEY_GAMMA).astype(np.float32)


def _high_key(a: np.ndarray, b: np.ndarray, gt: np.ndarray | None) -> np.ndarray:
    return np.power(_truth(a, b, gt), 1.0 / KEY_GAMMA).astype(np.float32)


def _both_modalities(a: np.ndarray, b: np.ndarray, gt: np.ndarray | None) -> np.ndarray:
    # The pixel term's "max" reference: the neutral infrared target the shipped recipe uses.
    return np.maximum(a, b)


def _favour(index: int) -> Target:
    def target(a: np.ndarray, b: np.ndarray, gt: np.ndarray | None) -> np.ndarray:
        favoured = (a, b)[index]
        return (EMPHASIS_WEIGHT * favoured + (1 - EMPHASIS_WEIGHT) * np.maximum(a, b)).astype(
            np.float32
        )

    return target


_MEF = (
    Intent(
        "natural",
        "mef",
        (
            "A natural rendering with balanced exposure.",
            "Keep the scene as it looked, neither darker nor brighter.",
            "Balanced tones from the shadows to the highlights.",
            "A true-to-life exposure, nothing exaggerated.",
            "Even, realistic brightness across the picture.",
            "Render it the way the eye saw it.",
            "Neutral exposure, faithful to the scene.",
            "Make it look like an ordinary, well exposed photograph.",
        ),
        (
            "Just a normal, faithful photo of the place.",
            "Keep the brightness realistic.",
        ),
        _truth,
    ),
    Intent(
        "low-key",
        "mef",
        (
            "A night scene; it should stay dark, as night looks.",
            "Keep the evening mood: deep shadows, do not brighten.",
            "Low-key and moody, with dark tones kept dark.",
            "It was taken at dusk, so the picture should remain dim.",
            "Preserve the darkness of the scene; only the lights should be bright.",
            "Do not turn night into day.",
            "A dark, atmospheric image with rich blacks.",
            "Keep it sombre and shadowy.",
            "The room was dimly lit; keep that dim look.",
            "Favour the darker exposure and hold back the brightness.",
            "Protect the highlights and let the shadows stay deep.",
            "Candle-lit and dark, please keep it that way.",
        ),
        (
            "night, keep it dark",
            "A gloomy street after sunset, leave it gloomy.",
            "Moody and dark like a film noir still.",
            "Nacht: bitte dunkel lassen.",
        ),
        _low_key,
    ),
    Intent(
        "high-key",
        "mef",
        (
            "Lift the shadows; a bright, airy look.",
            "Make it light and open, with no dark corners.",
            "High-key and luminous.",
            "Brighten the dark areas so everything is visible.",
            "A sunny, cheerful picture, bright throughout.",
            "Open up the shadows and favour the bright exposure.",
            "Bright and clean, like a catalogue photograph.",
            "Show every detail in the dark parts, brightly.",
            "Airy, pale tones with lifted blacks.",
            "Let the light flood in; it should feel bright.",
            "Make the dim interior look well lit.",
            "Boost the brightness of the whole scene.",
        ),
        (
            "bright, lift the shadows",
            "Light and breezy, like a summer morning.",
            "I want to see into the shadows, make it bright.",
            "Très lumineux, éclaircir les ombres.",
        ),
        _high_key,
    ),
)

_IVF = (
    Intent(
        "both",
        "ivf",
        (
            "Keep both the thermal targets and the visible scene.",
            "Balance the infrared and the visible information.",
            "Show what both cameras see, equally.",
            "An even mix of heat signatures and daylight detail.",
            "Combine the two modalities without favouring either.",
            "Fuse the thermal and the colour image in balance.",
        ),
        (
            "Give me a balanced view of the two images.",
            "Both the heat and the scenery are important.",
        ),
        _both_modalities,
    ),
    Intent(
        "warm",
        "ivf",
        (
            "The warm targets matter most: people, animals, engines.",
            "Highlight the hot objects from the thermal image.",
            "Emphasise heat signatures over the background.",
            "Pedestrians and vehicles should pop out, as in the infrared image.",
            "Favour the thermal camera; the heat sources are what we look for.",
            "Search and rescue: make every warm body obvious.",
            "Bring out whatever is hotter than its surroundings.",
            "Thermal contrast first, scenery second.",
            "Let the infrared image dominate.",
            "Show the warm figures clearly against the background.",
        ),
        (
            "make the warm targets stand out",
            "I care about the people in the dark, show their heat.",
            "Wärmequellen hervorheben.",
        ),
        _favour(0),
    ),
    Intent(
        "texture",
        "ivf",
        (
            "The visible scene's texture and detail matter most.",
            "Favour the visible camera; keep the scenery natural.",
            "Keep the look of the daylight image, with its fine detail.",
            "Road markings, signs and textures from the visible image come first.",
            "Make it look like a normal photograph, with the heat only as a hint.",
            "Preserve the colour image's appearance and surfaces.",
            "Let the visible image dominate.",
            "The landscape and its details are the subject, not the heat.",
            "Prefer the natural scene over thermal contrast.",
            "Keep the surfaces and patterns of the visible image.",
        ),
        (
            "the visible texture matters",
            "Show me the scenery the way my eyes would see it.",
            "Textura visible ante todo.",
        ),
        _favour(1),
    ),
)

INTENTS: dict[str, tuple[Intent, ...]] = {"mef": _MEF, "ivf": _IVF}


def task_intents(task: str) -> tuple[Intent, ...]:
    """The intents a network for ``task`` can be trained to follow (none for focus)."""
    if task not in INTENTS:
        raise ValueError(f"no intents for task {task!r}; intents exist for {', '.join(INTENTS)}")
    return INTENTS[task]


def intent_named(task: str, name: str) -> Intent:
    for intent in task_intents(task):
        if intent.name == name:
            return intent
    names = ", ".join(i.name for i in task_intents(task))
    raise ValueError(f"no {task} intent {name!r}; expected one of {names}")


def neutral_intent(task: str) -> Intent:
    """What a view without an intent is compared with: the task's first intent, or for focus
    (no intents: there is no choice to make) the ground truth."""
    if task in INTENTS:
        return INTENTS[task][0]
    return Intent("neutral", task, (), (), _truth)


def needs_truth(task: str) -> bool:
    """Whether the task's targets are made from the data's ground truth (infrared intents make
    theirs from the inputs)."""
    return task != "ivf"
