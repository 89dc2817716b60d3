"""What callers are told and what supervisors watch: estimated wait and service level (pure arithmetic)."""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_HANDLE_S = 180.0  # until a queue has handled a call: a typical talk + wrap-up time


def estimated_wait_s(position: int, handle_times_s: Sequence[float], serving_agents: int,
                     default_handle_s: float = DEFAULT_HANDLE_S) -> float | None:
    """Expected wait of the caller at `position` (1 = next): an agent frees up every AHT / agents
    seconds on average, where AHT is the mean of recent handle times (talk + wrap-up). None when no
    logged-in agent can take the call."""
    if serving_agents <= 0:
        return None
    handle = sum(handle_times_s) / len(handle_times_s) if handle_times_s else default_handle_s
    return position * handle / serving_agents


def service_level_pct(answered_waits_s: Sequence[float], abandoned: int, threshold_s: float) -> float | None:
    """Share of calls answered within `threshold_s`, over answered and abandoned calls (None: no calls yet)."""
    total = len(answered_waits_s) + abandoned
    if not total:
        return None
    return 100.0 * sum(1 for wait in answered_waits_s if wait <= threshold_s) / total
