"""The project's pieces of Rasa, by kind. Importing this package changes nothing.

nlu/       NLU components named in config.yml (tokenizer, entity extractor, intent classifier)
channels/  input channels named in credentials.yml (REST, socket.io, wechat/) and their input checks
stores/    the tracker store and the lock store named in endpoints.yml
patches/   the changes to Rasa's own behaviour, one module each, applied by launch.py
metrics/   Prometheus metrics and /metrics of Rasa, the action server and the web server; the reply log
launch.py  `python -m addons.launch …`: Rasa's command line with the patches applied (`run actions`:
           the action server with its metrics)

Rasa-free modules (channels/input_guard.py, channels/wechat/{crypto,state,text,xml}.py, metrics/)
import no Rasa.
"""
