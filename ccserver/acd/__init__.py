"""The live ACD: ccserver's routing engine (ccserver/routing, pure) driving the real switch.

    live.py            LiveAcd: engine outcomes -> AMI redirects/originates, AMI events -> engine, records
    places.py          where held calls are on the switch; the dialplan contexts the ACD uses
    agi.py             FastAGI acd/enqueue, acd/announce, acd/callback (dialplans/acd.conf holds the caller)
    agent_requests.py  an agent's or supervisor's state request as engine events
    store.py           ordered, batched writes of decisions, agent transitions and held calls
    journal.py         `ccserver.Acd*` call events on the bus
    supervision.py     supervisors listening, whispering, barging (ChanSpy on their own phone)
    live_view.py       what the wallboard shows of the engine: queues' waiting calls and agents by state
    service.py         Acd: loads configuration and agents' states, runs the above, follows config changes
"""
