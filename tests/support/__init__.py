"""Helpers shared by the tests: servers.py (the assistant on free ports), socketio_client.py (the chat
widget's protocol), wechat.py (the WeChat server's side and a fake WeChat API), postgres.py (a
PostgreSQL server of its own), staff.py (seeded tracker stores and the console server), browser.py
(Playwright with Debian's Chromium), conversation.py (the dialogue logic without Rasa) and quality.py
(the one reply checker, also used by bench/answer_quality.py)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
