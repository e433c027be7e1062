"""A real llama-cpp-python server on loopback, for tests of the LLM code path.

How it works: ``run_llm_server(model_path)`` starts ``python -m llama_cpp.server`` (the PyPI
package ``llama-cpp-python[server]``) as a child process bound to 127.0.0.1 on a free port, with
one thread, a 32,768-token context (Japanese takes about three byte-level tokens a character), the ``chatml`` chat format and a fixed seed, then polls
``GET /v1/models`` on loopback until it answers (60 s deadline) and yields the base URL
``http://127.0.0.1:PORT/v1``. The child gets a minimal environment (no ``CONFIG_FILE``, ``PORT``,
``API_KEY`` … that its pydantic settings would read). Its stdout and stderr go to an anonymous
temporary file rather than a pipe (a pipe that nobody reads fills up and stalls the server); if the
child exits early or the deadline passes, the error shows that output. On exit the child is
terminated (killed if it does not stop within 10 s) and the file closed. The model is the tiny
random-weight GGUF from ``tests/tiny_gguf.py``; nothing is downloaded.

Dialect facts verified against llama-cpp-python 0.3.36 (llama-index-llms-openai-like 0.8.1,
llama-index-llms-openai 0.8.3, openai 2.54) with this server (``tests/test_llm_server.py``):

- Structured output is ``response_format={"type": "json_object", "schema": {...}}`` (our
  ``json_object_schema`` dialect): the server turns the schema into a grammar; with the tiny
  model's logit bias the reply closes by itself (``finish_reason == "stop"``, under 30 tokens in
  300 tries) and parses. The OpenAI shape ``{"type": "json_schema", "json_schema": {...}}`` gets
  HTTP 500 (a pydantic ``literal_error``: type must be 'text' or 'json_object').
- llama-index ``OpenAILike(is_chat_model=True, is_function_calling_model=False, ...)``: pass the
  format per call, ``llm.chat(messages, response_format={...})``, or once as
  ``additional_kwargs={"response_format": {...}}``; both reach ``chat.completions.create``
  unchanged (``additional_kwargs`` win over per-call kwargs on a clash).
- ``should_use_structured_outputs=True`` + ``structured_predict`` always sends the OpenAI
  ``json_schema`` shape (it replaces a ``response_format`` given in ``llm_kwargs``), so against this
  server it raises ``openai.InternalServerError``: use ``chat`` and validate with pydantic.
- Validation matters: the grammar's string ``char`` rule excludes only the quote and the
  backslash, so raw control characters may appear in strings; ``model_validate_json`` rejects them.
- A server that is down gives ``openai.APIConnectionError`` within milliseconds with
  ``max_retries=0``.
- The GGUF's ChatML template equals llama-cpp-python's ``CHATML_CHAT_TEMPLATE``, so the server
  would also guess ``chatml`` from the metadata; ``--chat_format chatml`` just makes it explicit.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"
MODEL_ALIAS = "tiny-random-llama"
READY_DEADLINE_S = 60.0
STOP_DEADLINE_S = 10.0

# Only what a Python process needs; llama_cpp.server reads its settings from the environment too.
_ENV_KEEP = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TMPDIR",
    "LD_LIBRARY_PATH",
    "PYTHONPATH",
)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _server_command(model_path: Path, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--model_alias",
        MODEL_ALIAS,
        "--chat_format",
        "chatml",
        "--host",
        HOST,
        "--port",
        str(port),
        "--n_threads",
        "1",
        "--n_threads_batch",
        "1",
        "--n_ctx",
        "32768",
        "--seed",
        "1234",
        "--verbose",
        "True",  # llama.cpp's load log: what the error message shows when the model is refused
    ]


def _child_env() -> dict[str, str]:
    env = {key: os.environ[key] for key in _ENV_KEEP if key in os.environ}
    env["PYTHONUNBUFFERED"] = "1"
    env["OMP_NUM_THREADS"] = "1"
    return env


def _output(log: IO[bytes]) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode("utf-8", errors="replace")


def _ready(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(base_url + "/models", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


@contextlib.contextmanager
def run_llm_server(model_path: Path) -> Iterator[str]:
    """Run a llama-cpp-python server over ``model_path``; yield its base URL (``.../v1``)."""
    port = free_port()
    base_url = f"http://{HOST}:{port}/v1"
    with tempfile.TemporaryFile() as log:
        child = subprocess.Popen(
            _server_command(Path(model_path), port),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_child_env(),
        )
        try:
            deadline = time.monotonic() + READY_DEADLINE_S
            while not _ready(base_url):
                if child.poll() is not None:
                    raise RuntimeError(
                        f"llama_cpp.server exited with status {child.returncode} before it was "
                        f"ready; its output:\n{_output(log)}"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"llama_cpp.server not ready on {base_url} after {READY_DEADLINE_S:.0f} s; "
                        f"its output:\n{_output(log)}"
                    )
                time.sleep(0.1)
            yield base_url
        finally:
            child.terminate()
            try:
                child.wait(timeout=STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
