"""Describer backed by a vision-language model behind an OpenAI-compatible chat endpoint.

The paper asks GPT-4o for the three descriptions; any server speaking ``POST
{base_url}/chat/completions`` with image input works the same way (OpenAI, or a local Ollama,
vLLM or llama.cpp server). The API key is read from an environment variable at request time and
is never logged, cached or put in an error message.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import threading
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from mtif.io import quantize, read_image
from mtif.text.descriptions import Descriptions

_log = logging.getLogger(__name__)
# v2: the prompt asks for facts per shot (noise, blur or shake, the exposure gap, what degrades
# the visible image of an infrared pair) and for how the fused scene should look.
PROMPT_VERSION = "vlm-v2"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_MODEL = "gpt-4o"
SYSTEM_PROMPT = (
    "You describe sets of aligned photographs of one scene that will be fused into a single "
    "image (different exposures, focus distances, or infrared and visible light). State only "
    "what you can see in the images; say so when unsure rather than guess. Answer with one "
    "JSON object and nothing else."
)
USER_PROMPT = (
    "The {n} images show the same scene. Write three descriptions that guide their fusion, "
    "each two to five sentences of plain English:\n"
    '- "detail": fine details, image by image. Which image keeps texture and detail where '
    "(over- or under-exposed areas, sharp or out-of-focus areas). How noisy each image is "
    "(clean, slightly noisy, noisy or very noisy) and whether any is blurred by camera shake "
    "or motion. For an exposure series, roughly how many stops apart the exposures look. For "
    "an infrared and visible pair, what degrades the visible image (darkness, haze or smoke, "
    "glare or blown-out lights, noise) and what the infrared image shows that it hides.\n"
    '- "structure": structural cues: layout, main shapes and lines, horizon, bright and dark '
    "regions, where the salient objects are (for an infrared pair, where the warm objects "
    "are).\n"
    '- "semantic": what the scene shows (objects, people, setting, colours, time of day, '
    "weather) and how the fused image should look: keep the scene's character (a night scene "
    "stays a night scene, a sunset keeps its glow), note a backlit subject or strong "
    "contrast, and say what matters most to keep (faces, text, people or vehicles that only "
    "the infrared image shows).\n"
    'Refer to the inputs as "the first image", "the second image", and so on. Answer exactly '
    'as {{"detail": "...", "structure": "...", "semantic": "..."}}.'
)


def image_data_url(img: np.ndarray, max_side: int = 1024) -> str:
    """JPEG data URL of a float32 ``[0, 1]`` image, downscaled to ``max_side`` (quality 90)."""
    h, w = img.shape[:2]
    if max(h, w) > max_side:
        s = max_side / max(h, w)
        img = cv2.resize(img, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)
    pixels = quantize(img, 8)
    if pixels.ndim == 3:
        pixels = pixels[..., ::-1]  # OpenCV encodes BGR
    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(pixels), [cv2.IMWRITE_JPEG_QUALITY, 90])
    if not ok:
        raise ValueError(f"could not encode an image of shape {img.shape} as JPEG")
    return "data:image/jpeg;base64," + b64encode(buf.tobytes()).decode("ascii")


def parse_answer(content: str, source: str) -> Descriptions:
    """The model's reply text -> Descriptions; tolerates a ```json fence around the object."""
    text = content.strip()
    if text.startswith("```"):
        text = text.strip("`").removeprefix("json").strip()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{source}: the model's answer is not the JSON object asked for ({exc.msg}); it "
            f"began {content[:120]!r}. Try a model that follows JSON instructions."
        ) from None
    return Descriptions.from_dict(data, source=f"{source}: the model's answer")


class VLMDescriber:
    """Describer calling an OpenAI-compatible chat-completions endpoint with the images.

    Args:
        base_url: endpoint root, e.g. ``https://api.openai.com/v1`` or
            ``http://localhost:11434/v1`` (default: ``$MTIF_VLM_BASE_URL``, else OpenAI).
        model: model name (default: ``$MTIF_VLM_MODEL``, else ``gpt-4o``).
        api_key_env: environment variable holding the key; unset means no key is sent
            (local servers). The key is never stored on this object.
        timeout: seconds per HTTP request. retries: further attempts after a 429, a 5xx, a
            timeout or a dropped connection, waiting ``backoff * 2**attempt`` seconds (plus
            jitter, or the server's ``Retry-After``). concurrency: at most this many requests
            in flight from this object (the CLI describes that many pairs at once).
        json_mode: ask for ``response_format = json_object`` (turn off for servers without it).
    """

    cacheable = True

    def __init__(
        self,
        base_url: str | None = None,
        model: str | None = None,
        *,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 120.0,
        retries: int = 4,
        backoff: float = 1.0,
        concurrency: int = 4,
        max_side: int = 1024,
        json_mode: bool = True,
    ) -> None:
        self.base_url = (
            base_url or os.environ.get("MTIF_VLM_BASE_URL") or DEFAULT_BASE_URL
        ).rstrip("/")
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base URL must start with http:// or https://, got {self.base_url!r}")
        self.model = model or os.environ.get("MTIF_VLM_MODEL") or DEFAULT_MODEL
        if timeout <= 0 or retries < 0 or backoff < 0 or concurrency < 1:
            raise ValueError(
                "expected timeout > 0, retries >= 0, backoff >= 0 and concurrency >= 1, got "
                f"{timeout}, {retries}, {backoff}, {concurrency}"
            )
        self.api_key_env = api_key_env
        self.timeout, self.retries, self.backoff = timeout, retries, backoff
        self.concurrency, self.max_side, self.json_mode = concurrency, max_side, json_mode
        self._slots = threading.BoundedSemaphore(concurrency)
        self.identity = f"vlm:{self.model}@{self.base_url}:{PROMPT_VERSION}"

    def describe(self, paths: Sequence[Path]) -> Descriptions:
        """Describe an aligned series of image files (two or more)."""
        return self.describe_images([read_image(p) for p in paths])

    def describe_images(self, images: Sequence[np.ndarray]) -> Descriptions:
        """Describe float32 ``[0, 1]`` images in memory; every image is sent as a data URL."""
        if len(images) < 2:
            raise ValueError(f"expected two or more images, got {len(images)}")
        content: list[dict] = [{"type": "text", "text": USER_PROMPT.format(n=len(images))}]
        content += [
            {"type": "image_url", "image_url": {"url": image_data_url(im, self.max_side)}}
            for im in images
        ]
        body: dict = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": content},
            ],
        }
        if self.json_mode:
            body["response_format"] = {"type": "json_object"}
        reply = self._post(json.dumps(body).encode())
        try:
            answer = reply["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise ValueError(
                f"{self.base_url}: reply has no choices[0].message.content; is this an "
                "OpenAI-compatible chat-completions endpoint?"
            ) from None
        if not isinstance(answer, str):
            raise ValueError(f"{self.base_url}: the model returned no text (got {answer!r})")
        return parse_answer(answer, self.base_url)

    def _request(self, payload: bytes) -> urllib.request.Request:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return urllib.request.Request(
            f"{self.base_url}/chat/completions", data=payload, headers=headers, method="POST"
        )

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = self.backoff * 2**attempt * (1 + 0.1 * random.random())
        if retry_after and retry_after.strip().isdigit():
            delay = min(float(retry_after), 60.0)
        time.sleep(delay)

    def _post(self, payload: bytes) -> dict:
        """POST with retries; returns the decoded JSON reply or raises a one-line error."""
        url = f"{self.base_url}/chat/completions"
        last = ""
        for attempt in range(self.retries + 1):
            retry_after = None
            try:
                with (
                    self._slots,
                    urllib.request.urlopen(self._request(payload), timeout=self.timeout) as resp,
                ):
                    raw = resp.read()
                try:
                    return json.loads(raw)
                except json.JSONDecodeError:
                    raise ValueError(f"{url}: reply is not JSON: {raw[:120]!r}") from None
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:200].decode("utf-8", "replace")
                if exc.code in (401, 403):
                    raise PermissionError(
                        f"{url}: credentials refused (HTTP {exc.code}); set the environment "
                        f"variable {self.api_key_env} to a valid API key"
                    ) from None
                if exc.code != 429 and exc.code < 500:
                    raise ValueError(f"{url}: HTTP {exc.code}: {detail}") from None
                last, retry_after = f"HTTP {exc.code}: {detail}", exc.headers.get("Retry-After")
            except TimeoutError:
                last = f"no reply within {self.timeout:g} s"
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, TimeoutError):
                    last = f"no reply within {self.timeout:g} s"
                else:
                    last = f"cannot connect ({exc.reason})"
            except (ConnectionError, http.client.HTTPException) as exc:
                last = f"connection dropped ({exc})"
            if attempt < self.retries:
                _log.info("%s: %s; retrying (%d of %d)", url, last, attempt + 1, self.retries)
                self._wait(attempt, retry_after)
        if last.startswith("no reply"):
            raise TimeoutError(f"{url}: {last}, after {self.retries + 1} attempts")
        raise ConnectionError(f"{url}: {last}, after {self.retries + 1} attempts")
