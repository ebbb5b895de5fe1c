"""Input channels: REST with input checks (rest.py), socket.io for the web widget (socketio.py), the
WeChat Official Account (wechat/), and the checks every public channel applies (input_guard.py)."""
