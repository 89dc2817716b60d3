"""The IVR: call flows ops write in YAML (dialplans/ivr/), a pure engine that walks them, and the
runner that executes the engine's commands over a FastAGI session."""
