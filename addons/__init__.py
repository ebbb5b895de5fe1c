"""Custom Rasa pieces: NLU components (nlu.py), channels, and the documented patches to Rasa."""
from addons import rasa_patches

rasa_patches.apply()
import sys; sys.path.insert(0, "/tmp/tb"); import gcprobe  # TEMP
