"""Stores named in endpoints.yml: tracker_store.py (SQL tracker store that keeps recent trackers in
memory) and lock_store.py (a Redis lock store whose locks are issued atomically)."""
