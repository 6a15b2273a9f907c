"""The VLM describer against a real OpenAI-style HTTP server on 127.0.0.1 (no mock client)."""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from mtif.io import write_image
from mtif.text.descriptions import Descriptions
from mtif.text.vlm import VLMDescriber, parse_answer

KEY = "sk-test-SECRET-0123456789"
GOOD = {
    "detail": "Left is blown out.",
    "structure": "Horizon at mid height.",
    "semantic": "A lake.",
}


class Server:
    """Answers POST /v1/chat/completions from a script of (status, reply, delay).

    A dict reply with status 200 is the model's answer object, wrapped as a chat completion;
    a str reply is sent as the raw body; other dicts are sent as JSON bodies.
    """

    def __init__(self) -> None:
        self.script: list[tuple[int, object, float]] = []
        self.requests: list[tuple[dict, dict]] = []  # (headers, body)
        self.times: list[float] = []
        self.in_flight = self.most_in_flight = 0
        lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                owner.requests.append((dict(self.headers), body))
                owner.times.append(time.monotonic())
                status, reply, delay = owner.script.pop(0) if owner.script else (200, GOOD, 0)
                with lock:
                    owner.in_flight += 1
                    owner.most_in_flight = max(owner.most_in_flight, owner.in_flight)
                time.sleep(delay)
                with lock:
                    owner.in_flight -= 1
                if isinstance(reply, dict) and status == 200:
                    content = json.dumps(reply)
                    reply = {"choices": [{"message": {"role": "assistant", "content": content}}]}
                data = reply.encode() if isinstance(reply, str) else json.dumps(reply).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (the timeout test)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def server():
    srv = Server()
    yield srv
    srv.httpd.shutdown()


@pytest.fixture
def srv(server):
    server.script.clear()
    server.requests.clear()
    server.times.clear()
    server.most_in_flight = 0
    return server


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> list[Path]:
    root = tmp_path_factory.mktemp("pair")
    a = np.zeros((40, 60, 3), np.float32)
    a[..., 0] = 1.0  # red
    b = np.zeros((40, 60, 3), np.float32)
    b[..., 2] = 1.0  # blue
    write_image(root / "a.png", a)
    write_image(root / "b.png", b)
    return [root / "a.png", root / "b.png"]


def client(srv: Server, **kw) -> VLMDescriber:
    opts = {"model": "test-vlm", "timeout": 5.0, "retries": 2, "backoff": 0.01} | kw
    return VLMDescriber(srv.url, api_key_env="MTIF_TEST_KEY", **opts)


def decode(url: str) -> np.ndarray:
    assert url.startswith("data:image/jpeg;base64,")
    buf = np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8)
    return cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1]  # RGB


def test_success_sends_both_images_and_the_key(srv, pair, monkeypatch, caplog) -> None:
    monkeypatch.setenv("MTIF_TEST_KEY", KEY)
    caplog.set_level(logging.DEBUG)
    d = client(srv).describe(pair)
    assert d.as_dict() == GOOD
    headers, body = srv.requests[0]
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert body["model"] == "test-vlm"
    parts = body["messages"][1]["content"]
    images = [decode(p["image_url"]["url"]) for p in parts if p["type"] == "image_url"]
    assert len(images) == 2
    # The first image sent is the red one, the second the blue one (JPEG: within a few levels).
    assert np.abs(images[0].mean(axis=(0, 1)) - [255, 0, 0]).max() < 8
    assert np.abs(images[1].mean(axis=(0, 1)) - [0, 0, 255]).max() < 8
    assert "detail" in parts[0]["text"] and "JSON" in body["messages"][0]["content"]
    assert KEY not in caplog.text


def test_no_key_set_sends_no_authorization(srv, pair, monkeypatch) -> None:
    monkeypatch.delenv("MTIF_TEST_KEY", raising=False)
    client(srv).describe(pair)
    assert "Authorization" not in srv.requests[0][0]


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_with_backoff_then_succeeds(srv, pair, status) -> None:
    srv.script += [(status, {"error": "busy"}, 0), (status, {"error": "busy"}, 0)]
    d = client(srv, backoff=0.05).describe(pair)
    assert d.as_dict() == GOOD
    assert len(srv.requests) == 3
    gaps = np.diff(srv.times)
    assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # exponential: 0.05 then 0.1 s at least


def test_gives_up_after_retries(srv, pair) -> None:
    srv.script += [(500, {"error": "down"}, 0)] * 3
    with pytest.raises(ConnectionError, match="HTTP 500.*after 3 attempts"):
        client(srv).describe(pair)


def test_slow_reply_times_out(srv, pair) -> None:
    srv.script += [(200, GOOD, 1.0)] * 2
    with pytest.raises(TimeoutError, match=r"no reply within 0.2 s, after 2 attempts"):
        client(srv, timeout=0.2, retries=1).describe(pair)


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_are_clear_and_not_retried(srv, pair, monkeypatch, status) -> None:
    monkeypatch.setenv("MTIF_TEST_KEY", KEY)
    srv.script.append((status, {"error": {"message": "bad key"}}, 0))
    with pytest.raises(PermissionError, match="credentials refused.*MTIF_TEST_KEY") as err:
        client(srv).describe(pair)
    assert KEY not in str(err.value)
    assert len(srv.requests) == 1


def chat(content: str) -> str:
    """A raw chat-completions body whose answer text is ``content``."""
    return json.dumps({"choices": [{"message": {"role": "assistant", "content": content}}]})


def test_malformed_answers_are_clear_errors(srv, pair) -> None:
    srv.script.append((200, chat("Sure! Here it is: {oops"), 0))
    with pytest.raises(ValueError, match="not the JSON object asked for"):
        client(srv).describe(pair)
    srv.script.append((200, {"detail": "only one"}, 0))
    with pytest.raises(ValueError, match="missing structure, semantic"):
        client(srv).describe(pair)
    srv.script.append((200, "<html>gateway</html>", 0))
    with pytest.raises(ValueError, match="reply is not JSON"):
        client(srv).describe(pair)
    srv.script.append((200, json.dumps({"object": "list"}), 0))  # JSON, but no chat completion
    with pytest.raises(ValueError, match=r"choices\[0\].message.content"):
        client(srv).describe(pair)


def test_other_client_errors_are_not_retried(srv, pair) -> None:
    srv.script.append((400, {"error": "model does not accept images"}, 0))
    with pytest.raises(ValueError, match="HTTP 400.*images"):
        client(srv).describe(pair)
    assert len(srv.requests) == 1


def test_closed_port_is_a_connection_error(pair) -> None:
    d = VLMDescriber("http://127.0.0.1:9/v1", "m", retries=0, timeout=2)
    with pytest.raises(ConnectionError, match="cannot connect"):
        d.describe(pair)


def test_identity_and_fenced_json() -> None:
    d = VLMDescriber("http://h:1/v1/", "llava", api_key_env="NOPE")
    assert d.identity == "vlm:llava@http://h:1/v1:vlm-v2"
    assert parse_answer("```json\n" + json.dumps(GOOD) + "\n```", "x").semantic == "A lake."
    with pytest.raises(ValueError, match="http"):
        VLMDescriber("localhost:11434", "m")
    with pytest.raises(ValueError, match="concurrency"):
        VLMDescriber("http://h/v1", "m", concurrency=0)


def test_concurrency_limit_over_many_pairs(pair) -> None:
    from mtif.data.pairs import Sample
    from mtif.text.pipeline import describe_samples

    srv = Server()  # its own server: slow replies of other tests may still be sleeping
    srv.script += [(200, GOOD, 0.3)] * 6
    samples = [Sample(f"p{i}", tuple(pair)) for i in range(6)]
    found, counts = describe_samples(samples, client(srv, concurrency=2), None, progress=False)
    assert list(found) == [s.name for s in samples] and counts.new == 6
    assert srv.most_in_flight == 2
    srv.httpd.shutdown()


def test_key_is_never_cached(srv, pair, tmp_path, monkeypatch) -> None:
    from mtif.text.cache import TextCache
    from mtif.text.pipeline import describe_cached

    monkeypatch.setenv("MTIF_TEST_KEY", KEY)
    cache = TextCache(tmp_path / "cache")
    d = client(srv)
    assert describe_cached(pair, d, cache) == (Descriptions(**GOOD), False)
    assert describe_cached(pair, d, cache) == (Descriptions(**GOOD), True)
    assert len(srv.requests) == 1
    stored = [f.read_bytes() for f in (tmp_path / "cache").rglob("*") if f.is_file()]
    assert stored and all(KEY.encode() not in b for b in stored)


def test_prompt_asks_for_the_facts_per_granularity(srv, pair) -> None:
    client(srv).describe(pair)
    text = srv.requests[0][1]["messages"][1]["content"][0]["text"]
    detail, structure, semantic = (
        text.split(f'- "{k}"')[1].split("\n")[0] for k in ("detail", "structure", "semantic")
    )
    assert "noisy" in detail and "shake" in detail and "stops apart" in detail
    assert "haze" in detail and "visible image" in detail
    assert "warm objects" in structure
    assert "night scene stays a night scene" in semantic and "backlit" in semantic
