"""The WeChat channel's own troubles, which no reply counter shows: a reply that missed WeChat's
5-second window (it goes through the customer-service API, or is dropped without an AppSecret), and
the customer-service API's calls and failures (it refuses calls from unlisted IP addresses and after
48 hours). Recorded by addons/channels/wechat/; the API's counts appear on whichever server made the
call — Rasa for late and long replies, the web server for an agent's messages (staff/takeover.py)."""
from __future__ import annotations

from prometheus_client import Counter

LATE_REPLIES = Counter("assistant_wechat_late_replies", "WeChat replies ready after the reply budget "
                       "(WECHAT_REPLY_BUDGET): sent through the customer-service API, or dropped (no AppSecret)",
                       ["delivery"])
API_CALLS = Counter("assistant_wechat_api_calls", "Calls to WeChat's API: an access token, or one "
                    "customer-service message", ["call"])
API_FAILURES = Counter("assistant_wechat_api_failures", "WeChat API calls that failed: network or HTTP error, "
                       "not JSON, or an errcode (a refused token is retried once with a new one)", ["call"])

late_sent = LATE_REPLIES.labels("customer_service")
late_dropped = LATE_REPLIES.labels("dropped")
token_calls, token_failures = API_CALLS.labels("token"), API_FAILURES.labels("token")
send_calls, send_failures = API_CALLS.labels("send"), API_FAILURES.labels("send")
