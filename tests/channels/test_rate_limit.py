"""The channels' rate limits (addons/channels/rate_limit.py) without servers: token buckets per
sender and per address, a refusal said once, addresses behind a local proxy."""
from addons.channels.rate_limit import MAX_KEYS, MessageLimits, TokenBucket, client_address


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_a_bucket_lets_its_capacity_through_then_refills_over_the_window():
    clock = Clock()
    bucket = TokenBucket(20, 10.0, clock)
    assert [bucket.take("s") for _ in range(20)] == [0.0] * 20
    wait = bucket.take("s")
    assert 0 < wait <= 0.5  # one token comes back every 0.5 s
    clock.now += 0.5
    assert bucket.take("s") == 0.0 and bucket.take("s") > 0
    clock.now += 10
    assert [bucket.take("s") for _ in range(20)] == [0.0] * 20
    assert bucket.take("other") == 0.0  # per key


def test_a_person_typing_never_meets_the_default_limit():
    clock = Clock()
    limits = MessageLimits({}, clock)
    for _ in range(300):  # a message every 2 seconds for ten minutes
        assert limits.check("seller", "203.0.113.7").allowed
        clock.now += 2


def test_a_script_is_refused_and_told_once_until_it_slows_down():
    clock = Clock()
    limits = MessageLimits({}, clock)
    verdicts = [limits.check("bot", None) for _ in range(50)]
    assert [v.allowed for v in verdicts] == [True] * 20 + [False] * 30
    assert [v.first for v in verdicts[20:]] == [True] + [False] * 29
    clock.now += 10
    assert limits.check("bot", None).allowed
    for _ in range(19):
        limits.check("bot", None)
    assert limits.check("bot", None).first  # refused again after passing: told again


def test_one_address_is_limited_across_senders_and_zero_turns_limits_off():
    clock = Clock()
    limits = MessageLimits({"RATE_LIMIT_ADDRESS_MESSAGES": "30"}, clock)
    allowed = [limits.check(f"s{i}", "198.51.100.1").allowed for i in range(40)]
    assert allowed == [True] * 30 + [False] * 10
    assert limits.check("s99", "198.51.100.2").allowed
    off = MessageLimits({"RATE_LIMIT_MESSAGES": "0", "RATE_LIMIT_ADDRESS_MESSAGES": "0"}, clock)
    assert all(off.check("x", "198.51.100.1").allowed for _ in range(500))


def test_the_address_is_the_peer_or_what_a_local_proxy_forwarded():
    assert client_address("203.0.113.7") == "203.0.113.7"
    assert client_address("203.0.113.7", "10.0.0.1") == "203.0.113.7"  # a remote client's header is ignored
    assert client_address("127.0.0.1", "198.51.100.4, 203.0.113.9") == "203.0.113.9"  # the hop nginx added
    assert client_address("127.0.0.1") is None and client_address("::1", "127.0.0.1") is None  # local


def test_memory_is_bounded():
    bucket = TokenBucket(5, 10.0, Clock())
    for i in range(MAX_KEYS + 100):
        bucket.take(str(i))
    assert len(bucket._buckets) == MAX_KEYS
