"""A small HTTP load generator: N threads, one keep-alive connection each (`http.client`), each sending
GET requests for a fixed time; latencies of every answered request, errors counted apart. No response is
cached: every request goes to the server."""

from __future__ import annotations

import http.client
import random
import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Result:
    """What one scenario measured."""

    name: str
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    slowest: list[tuple[float, str]] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        if len(self.latencies_ms) == 1:
            return self.latencies_ms[0]
        return statistics.quantiles(self.latencies_ms, n=100, method="inclusive")[round(q) - 1]

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        p50 = self.percentile(50)
        return (
            f"{self.name:<16} {len(self.latencies_ms):>7} req {self.rps:>7.1f} req/s  p50 {p50:>7.1f} ms"
            f"   p95 {self.percentile(95):>7.1f} ms   p99 {self.percentile(99):>7.1f} ms   errors {self.errors}"
            + (f" (status {dict(sorted(self.statuses.items()))})" if self.errors else "")
        )


def run(
    name: str,
    host: str,
    port: int,
    path: Callable[[random.Random], str],
    seconds: float,
    concurrency: int,
    headers: dict[str, str] | None = None,
    seed: int = 0,
) -> Result:
    """GET `path(rng)` from `concurrency` threads for `seconds`; a 200 counts, anything else is an error."""
    result = Result(name, seconds)
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def client(number: int) -> None:
        rng = random.Random(f"{seed}:{name}:{number}")
        conn = http.client.HTTPConnection(host, port, timeout=60)
        mine: list[float] = []
        errors, statuses, slow = 0, {}, []
        while time.perf_counter() < deadline:
            target = path(rng)
            started = time.perf_counter()
            try:
                conn.request("GET", target, headers=headers or {})
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=60)
                errors += 1
                continue
            elapsed = (time.perf_counter() - started) * 1000
            statuses[status] = statuses.get(status, 0) + 1
            if status == 200:
                mine.append(elapsed)
                slow.append((elapsed, target))
            else:
                errors += 1
        conn.close()
        slow.sort(reverse=True)
        with lock:
            result.latencies_ms.extend(mine)
            result.errors += errors
            for status, count in statuses.items():
                result.statuses[status] = result.statuses.get(status, 0) + count
            result.slowest = sorted(result.slowest + slow[:5], reverse=True)[:10]

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result
