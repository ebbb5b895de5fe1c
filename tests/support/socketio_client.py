"""A minimal Socket.IO 5 / Engine.IO 4 client over a websocket, speaking to Rasa's socket.io channel as
the chat widget does (the python-socketio client needs a newer aiohttp than Rasa pins)."""
import asyncio
import json
import uuid

import websockets


async def exchange(url: str, events: list, wait_for_replies: int, timeout: float = 30,
                   origin: str = "http://localhost:8080") -> list[str]:
    """Opens a session, emits `events` (raw Socket.IO payloads), returns the bot's texts."""
    socket_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    session, texts = uuid.uuid4().hex, []
    async with websockets.connect(socket_url, origin=origin, open_timeout=20) as ws:
        assert (await ws.recv()).startswith("0{")
        await ws.send("40")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while loop.time() < deadline and len(texts) < wait_for_replies:
            try:
                frame = await asyncio.wait_for(ws.recv(), max(0.1, deadline - loop.time()))
            except asyncio.TimeoutError:
                break
            if frame == "2":
                await ws.send("3")
            elif frame.startswith("40"):
                await ws.send("42" + json.dumps(["session_request", {"session_id": session}]))
            elif frame.startswith("42"):
                event, data = json.loads(frame[2:])[:2]
                if event == "session_confirm":
                    for payload in events:
                        payload = {**payload, "session_id": session} if isinstance(payload, dict) else payload
                        await ws.send("42" + json.dumps(["user_uttered", payload]))
                elif event == "bot_uttered":
                    texts.append(data.get("text") or "")
    return texts
