"""Reading /metrics in tests: the text is parsed with prometheus_client's own parser, never with a
regular expression, so a test sees what Prometheus would."""
from __future__ import annotations

import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    """{(sample name, frozenset of its labels): value} of an exposition."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def total(parsed: dict, name: str, **labels: str) -> float:
    """The sum of every sample `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(value for (sample, have), value in parsed.items() if sample == name and wanted <= have)


def fetch(url: str, headers: dict | None = None) -> tuple[int, str]:
    """(status, body) of a GET, also for a 4xx."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8")


def scrape(url: str, headers: dict | None = None) -> dict:
    status, body = fetch(url, headers)
    assert status == 200, (status, body)
    return samples(body)
