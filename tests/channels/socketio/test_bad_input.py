"""Bad input on the chat widget's channel (socket.io), spoken as the widget speaks it (Engine.IO 4,
Socket.IO 5 over a websocket): each message gets a clear reply or is ignored, markup is never sent
back, and the channel keeps answering."""
import asyncio

import pytest

from tests.support import socketio_client

pytestmark = [pytest.mark.servers, pytest.mark.model]


def exchange(assistant, events, replies):
    return asyncio.run(socketio_client.exchange(assistant.url, events, replies, origin=assistant.web_origin))


@pytest.mark.parametrize("message", ["", "   ", "\u0000", None, 7])
def test_empty_or_non_text_messages_get_a_polite_reply(assistant, message):
    texts = exchange(assistant, [{"message": message}], 1)
    assert texts and "请用文字描述你的问题" in texts[0]


def test_markup_is_never_sent_back(assistant):
    texts = exchange(assistant, [{"message": "<script>alert(1)</script><img src=x onerror=alert(2)>"}], 1)
    assert texts and not any("<script" in t or "<img" in t for t in texts)


def test_a_long_message_is_cut_with_a_note_and_answered(assistant):
    texts = exchange(assistant, [{"message": "AWD仓储费多少？" + "我们是做家居用品的，" * 300}], 2)
    assert "只读了前500个字" in texts[0] and "0.48" in texts[1]


def test_malformed_events_are_ignored_and_the_channel_keeps_answering(assistant):
    texts = exchange(assistant, ["not an object", ["a", "list"], {"message": "AWD仓储费多少？"}], 1)
    assert len(texts) == 1 and "0.48" in texts[0]


def test_a_flood_over_the_socket_is_cut_at_the_limit_with_one_polite_line(assistant):
    """25 messages at once from one chat session: 20 answered, one line about the rate, nothing more."""
    texts = exchange(assistant, [{"message": f"你好{i}"} for i in range(25)], 30)
    told = [t for t in texts if "消息发得太快了" in t]
    assert len(told) == 1 and len(texts) == 21, texts
