"""Rasa's command line with the project's patches applied (addons/patches):

    python -m addons.launch run --model … --credentials … --endpoints …

The same arguments as `rasa`; scripts/run.sh, scripts/topology.sh and the tests start Rasa this way.
"""
from __future__ import annotations

import sys


def main() -> None:
    from addons import patches

    patches.apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *sys.argv[1:]]
    rasa_main()


if __name__ == "__main__":
    main()
