"""What every answer to a fuzzed request must be: accepted, or a clean 4xx that stored nothing."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

__all__ = ["PROBLEM", "assert_clean_refusal"]

PROBLEM = "application/problem+json"
TRACEBACK = "Traceback (most recent call last)"


def assert_clean_refusal(
    response: httpx.Response,
    before: Mapping[str, int],
    after: Mapping[str, int],
    *,
    accepted: tuple[int, ...],
) -> None:
    """``response`` is one of ``accepted``, or a 4xx RFC 9457 problem and no table changed."""
    status = response.status_code
    assert status < 500, f"{status}: {response.text[:500]}"
    assert TRACEBACK not in response.text, response.text[:500]
    if status in accepted:
        return
    assert 400 <= status < 500, f"unexpected {status}: {response.text[:300]}"
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    assert content_type == PROBLEM, (status, content_type, response.text[:300])
    problem = response.json()
    assert problem["status"] == status, problem
    assert problem.get("title"), problem
    changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
    assert not changed, f"a refused request ({status}) changed rows: {changed}"
