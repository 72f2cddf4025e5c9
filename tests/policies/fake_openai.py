"""A scripted OpenAI-compatible server on 127.0.0.1 (real HTTP) for tests."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeOpenAI:
    """Serves /v1/chat/completions and /v1/completions. ``fail_first`` requests answer 503,
    ``stall_s`` delays every answer; the model runs ``echo hi`` once, then submits."""

    def __init__(self, fail_first: int = 0, stall_s: float = 0.0) -> None:
        self.fail_first = fail_first
        self.stall_s = stall_s
        self.requests: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.requests.append({"path": self.path, **body})
                if len(server.requests) <= server.fail_first:
                    self._send(503, {"error": {"message": "overloaded"}})
                    return
                if server.stall_s:
                    time.sleep(server.stall_s)
                self._send(200, server.answer(self.path, body))

            def _send(self, code: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                try:
                    self.send_response(code)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def answer(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
        if path.endswith("/completions") and "prompt" in body:
            done = "hi\n" in body["prompt"] or "hi" in body["prompt"].split("echo hi")[-1]
            call = (
                {"name": "submit", "arguments": {}}
                if done
                else {"name": "bash", "arguments": {"command": "echo hi"}}
            )
            text = f"<tool_call>\n{json.dumps(call)}\n</tool_call>"
            return {"choices": [{"text": text, "finish_reason": "stop"}], "usage": usage}
        tool_turns = [m for m in body["messages"] if m["role"] == "tool"]
        name, args = ("submit", {}) if tool_turns else ("bash", {"command": "echo hi"})
        msg = {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": f"c{len(tool_turns)}",
                    "type": "function",
                    "function": {"name": name, "arguments": json.dumps(args)},
                }
            ],
        }
        return {"choices": [{"message": msg, "finish_reason": "tool_calls"}], "usage": usage}

    def __enter__(self) -> FakeOpenAI:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
