"""How the assistant is doing, as Prometheus metrics and (optionally) one JSON log line per reply.
Rasa-free: the metric definitions, the access rule and the log line are plain Python on
prometheus_client, so each server imports only what it measures and tests need no model.

labels.py         the fixed label values (channels, the domain's intents and actions): no label
                  ever takes a value from outside a fixed set, so the number of series stays bounded
core.py           Rasa's process: replies, latency, fallbacks, hand-offs, action failures, tracker store
wechat.py         the WeChat channel: replies past the reply budget, customer-service API calls
action_server.py  the action server: /metrics and its requests, through rasa_sdk's plugin hook
web.py            the web server (web/server.py): /metrics and its requests (aiohttp)
exposition.py     /metrics itself: who may read it (localhost, or a bearer token), the text format
replylog.py       LOG_FORMAT=json: the reply's log line (hashed sender, never the raw id)
version.py        the knowledge version: a short hash of the knowledge files

Rasa's side is wired in by addons/patches/metrics_route.py and reply_metrics.py; the metrics and
how to scrape them are described in docs/metrics.md.
"""
