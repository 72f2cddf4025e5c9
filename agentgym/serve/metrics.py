"""Server counters and the Prometheus text exposition of them (``GET /metrics``).

Plain Python, no prometheus_client needed at run time; the format is checked against
prometheus_client's own parser in the tests.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque

# Latency quantiles are over a sliding window of the latest steps (a Prometheus summary).
WINDOW = 2048


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _fmt(value: float) -> str:
    if value != value:  # NaN
        return "NaN"
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class ServeMetrics:
    """Thread-safe counters the server and every session's env update."""

    def __init__(self, window: int = WINDOW) -> None:
        self._lock = threading.Lock()
        self.started = time.time()
        self.sessions_total = 0
        self.sessions_active = 0
        self.sessions_max = 0
        self.resets_total = 0
        self.steps_total = 0
        self.episodes_done = 0
        self.errors: Counter[str] = Counter()
        self._latency: deque[float] = deque(maxlen=window)
        self._latency_sum = 0.0
        self._latency_count = 0

    def session_opened(self) -> None:
        with self._lock:
            self.sessions_total += 1
            self.sessions_active += 1

    def session_closed(self) -> None:
        with self._lock:
            self.sessions_active = max(0, self.sessions_active - 1)

    def reset(self) -> None:
        with self._lock:
            self.resets_total += 1

    def step(self, seconds: float, done: bool) -> None:
        with self._lock:
            self.steps_total += 1
            self.episodes_done += int(done)
            self._latency.append(seconds)
            self._latency_sum += seconds
            self._latency_count += 1

    def error(self, kind: str) -> None:
        with self._lock:
            self.errors[kind] += 1

    def latency_quantiles(self) -> dict[float, float]:
        with self._lock:
            values = list(self._latency)
        return {q: _quantile(values, q) for q in (0.5, 0.95)}

    def render(self) -> str:
        """The Prometheus text format (version 0.0.4)."""
        quantiles = self.latency_quantiles()
        with self._lock:
            lines = [
                "# HELP agentgym_sessions_active WebSocket sessions open now (each owns an env).",
                "# TYPE agentgym_sessions_active gauge",
                f"agentgym_sessions_active {self.sessions_active}",
                "# HELP agentgym_sessions_max The cap on concurrent sessions.",
                "# TYPE agentgym_sessions_max gauge",
                f"agentgym_sessions_max {self.sessions_max}",
                "# HELP agentgym_sessions_total Sessions opened since start.",
                "# TYPE agentgym_sessions_total counter",
                f"agentgym_sessions_total {self.sessions_total}",
                "# HELP agentgym_resets_total Episodes started (env resets).",
                "# TYPE agentgym_resets_total counter",
                f"agentgym_resets_total {self.resets_total}",
                "# HELP agentgym_steps_total Env steps served.",
                "# TYPE agentgym_steps_total counter",
                f"agentgym_steps_total {self.steps_total}",
                "# HELP agentgym_episodes_done_total Episodes that ended (terminated or truncated).",
                "# TYPE agentgym_episodes_done_total counter",
                f"agentgym_episodes_done_total {self.episodes_done}",
                "# HELP agentgym_step_latency_seconds Env step latency (latest steps window).",
                "# TYPE agentgym_step_latency_seconds summary",
            ]
            for q, v in quantiles.items():
                lines.append(f'agentgym_step_latency_seconds{{quantile="{q}"}} {_fmt(v)}')
            lines += [
                f"agentgym_step_latency_seconds_sum {_fmt(self._latency_sum)}",
                f"agentgym_step_latency_seconds_count {self._latency_count}",
                "# HELP agentgym_errors_total Refused or failed requests by kind.",
                "# TYPE agentgym_errors_total counter",
            ]
            for kind in sorted(self.errors):
                lines.append(f'agentgym_errors_total{{kind="{kind}"}} {self.errors[kind]}')
            lines += [
                "# HELP agentgym_uptime_seconds Seconds since the server started.",
                "# TYPE agentgym_uptime_seconds gauge",
                f"agentgym_uptime_seconds {_fmt(round(time.time() - self.started, 3))}",
            ]
        return "\n".join(lines) + "\n"


__all__ = ["ServeMetrics"]
