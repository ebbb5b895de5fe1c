"""The WeChat Official Account channel: channel.py (the Rasa input channel), crypto.py (signatures
and message encryption), xml.py (parsing and writing WeChat's XML), text.py (plain text within
WeChat's limits), state.py (expiring per-user state), customer_service.py (the customer-service API
for late and long replies). Only channel.py imports Rasa."""
