"""Request counters and latency histograms in the Prometheus text format (no dependency).

Labels are the HTTP method, the *route template* (``/api/v1/articles/{article_id}``) and the
status code, never the concrete path or anything from the body, so question text cannot leak.
"""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class RequestMetrics:
    """Thread-safe counters for one app instance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str, str], int] = defaultdict(int)
        self._hist: dict[tuple[str, str], list[int]] = {}
        self._sums: dict[tuple[str, str], float] = defaultdict(float)
        self._n: dict[tuple[str, str], int] = defaultdict(int)
        self.in_flight = 0

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._counts[(method, route, str(status))] += 1
            key = (method, route)
            buckets = self._hist.setdefault(key, [0] * len(BUCKETS))
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    buckets[i] += 1
            self._sums[key] += seconds
            self._n[key] += 1

    def render(self) -> str:
        """The exposition text (``text/plain; version=0.0.4``)."""
        lines = [
            "# HELP curbside_http_requests_total HTTP requests by method, route template, status.",
            "# TYPE curbside_http_requests_total counter",
        ]
        with self._lock:
            for (method, route, status), n in sorted(self._counts.items()):
                lines.append(f'curbside_http_requests_total{{method="{method}",'
                             f'route="{_escape(route)}",status="{status}"}} {n}')
            lines += [
                "# HELP curbside_http_request_duration_seconds Request latency by route template.",
                "# TYPE curbside_http_request_duration_seconds histogram",
            ]
            for (method, route), buckets in sorted(self._hist.items()):
                labels = f'method="{method}",route="{_escape(route)}"'
                for bound, n in zip(BUCKETS, buckets, strict=True):
                    lines.append(f'curbside_http_request_duration_seconds_bucket{{{labels},'
                                 f'le="{bound}"}} {n}')
                total = self._n[(method, route)]
                lines.append(f'curbside_http_request_duration_seconds_bucket{{{labels},'
                             f'le="+Inf"}} {total}')
                lines.append(f"curbside_http_request_duration_seconds_sum{{{labels}}} "
                             f"{self._sums[(method, route)]:.6f}")
                lines.append(f"curbside_http_request_duration_seconds_count{{{labels}}} {total}")
            lines += [
                "# HELP curbside_http_requests_in_flight Requests being served now.",
                "# TYPE curbside_http_requests_in_flight gauge",
                f"curbside_http_requests_in_flight {self.in_flight}",
            ]
        return "\n".join(lines) + "\n"
