"""Rasa's command line with the project's pieces applied:

    python -m addons.launch run --model … --credentials … --endpoints …   Rasa with addons/patches
    python -m addons.launch run actions --actions actions --port …         the action server with /metrics

The same arguments as `rasa`; scripts/run.sh, scripts/topology.sh and the tests start Rasa and the
action server this way. The action server gets only its metrics (addons/metrics/action_server.py,
through rasa-sdk's plugin hook), not the patches: those change Rasa's own serving, which it does not run.
"""
from __future__ import annotations

import sys

# Third-party deprecation warnings that say nothing about this project (sanic, TensorFlow, setuptools'
# pkg_resources, SQLAlchemy 1.4 on Rasa 3.6): silenced where they are raised, so the log shows ours.
QUIET_MODULES = r"(sanic|sanic_cors|tensorflow|keras|pkg_resources|setuptools|google|jax|rasa|sqlalchemy|dask|absl)(\..*)?"


def quiet_third_party_warnings() -> None:
    import warnings

    for category in (DeprecationWarning, PendingDeprecationWarning, FutureWarning):
        warnings.filterwarnings("ignore", category=category, module=QUIET_MODULES)
    warnings.filterwarnings("ignore", message=r".*pkg_resources.*")


def main() -> None:
    from addons.privacy import mask_logs

    quiet_third_party_warnings()
    mask_logs()  # no phone or order number of a seller in Rasa's or the action server's log
    if sys.argv[1:3] == ["run", "actions"]:
        from addons.action_server import guard
        from addons.metrics import action_server

        guard.register()
        action_server.register()
    else:
        from addons import patches

        patches.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
