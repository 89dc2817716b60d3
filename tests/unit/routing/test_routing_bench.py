"""`ccserver bench routing` at toy size: the simulated center runs, the brute force replays every
measured event with the same offers, and the report shows the target."""

from __future__ import annotations

from ccserver.bench.routing import population, report, run_routing_bench


def test_the_population_is_the_same_for_a_seed_and_every_queue_has_its_escalation() -> None:
    agents, queues = population(agents=50, skills=10, seed=7)
    assert (agents, queues) == population(agents=50, skills=10, seed=7)
    assert len(queues) == 10 and queues[0].name == "general"
    assert all(len(q.escalation) == 4 and q.escalation[-1].queue == "general" for q in queues[1:])
    assert all(a.skills.keys() & {"lang:en", "lang:es"} for a in agents)


def test_a_small_center_runs_through_the_engine_and_the_brute_force_with_the_same_offers() -> None:
    figures = run_routing_bench(agents=80, calls=40, skills=8, events=1500, brute_seconds=60)
    assert figures.problems == [] and figures.replayed == 1500 and figures.offers > 50
    assert len(figures.engine.latencies) == 1500 and figures.waiting_range[1] >= 30
    text = report(figures)
    assert "target p99 < 1,000 us" in text and "both made the same offers, event by event" in text
