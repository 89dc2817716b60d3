"""The agent desktop's live side: each agent's numbered message stream (feed.py) and what fills it
(service.py: the ACD's offers, answers, ends and state changes, with the screen-pop's details)."""
