"""The live ACD: ccserver's routing engine (ccserver/routing, pure) driving the real switch.

    live.py     LiveAcd: engine outcomes -> AMI redirects/originates, AMI events -> engine, records
    agi.py      FastAGI acd/enqueue, acd/announce, acd/callback (dialplans/acd.conf holds the caller)
    store.py    ordered, batched writes of decisions, agent transitions and held calls
    journal.py  `ccserver.Acd*` call events on the bus
    service.py  Acd: loads configuration and agents' states, runs the above, follows config changes
    live_view.py  what the wallboard shows of the engine: queues' waiting calls and agents by state
"""
