"""Custom Rasa pieces: NLU components (nlu.py), channels, and the documented patches to Rasa."""
from addons import rasa_patches

rasa_patches.apply()
