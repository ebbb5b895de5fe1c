"""The action server's own settings, applied by `python -m addons.launch run actions …` through
rasa-sdk's plugin hook (as addons/metrics/action_server.py does): where it listens and who may call
it (guard.py)."""
