"""lowercase and shannonEntropy (functions/strings.py), written from the
LogScale function pages with hand-computed results.  Every test runs on
each engine."""

from __future__ import annotations

from .helpers import match, run, value

# --- lowercase ------------------------------------------------------------------------


def test_lowercase(engine):
    # the page: Bar=CONTENTS gives contents in Bar
    assert match('lowercase("Bar")', {"Bar": "CONTENTS"}, engine) == {"Bar": "contents"}
    out = match('lowercase("BAR", include="fields")', {"BAR": "CONTENTS"}, engine)
    assert out == {"BAR": "CONTENTS", "bar": "CONTENTS"}
    out = match('lowercase("BAR", include="both")', {"BAR": "CONTENTS"}, engine)
    assert out == {"BAR": "CONTENTS", "bar": "contents"}
    out = match('lowercase("*", include="both")', {"A": "X", "ÄB": "ÖÜ"}, engine)
    assert out == {"a": "x", "äb": "öü"}
    assert match("lowercase([a, b])", {"a": "X", "c": "Y"}, engine) == {"a": "x", "c": "Y"}


def test_lowercase_then_count_distinct(engine):
    events = [{"UserName": "Alice"}, {"UserName": "ALICE"}, {"UserName": "bob"}]
    q = 'lowercase("UserName") | count(UserName, distinct=true)'
    assert run(q, events, engine) == [{"_count": "2"}]


# --- shannonEntropy --------------------------------------------------------------------


def test_shannon_entropy(engine):
    # the page: example.com gives (rounded) 3.095795
    entropy = float(
        value("entropy := shannonEntropy(dns_name)", {"dns_name": "example.com"}, "entropy", engine)
    )
    assert round(entropy, 6) == 3.095795
    assert value("shannonEntropy(s)", {"s": "aabb"}, "_shannonentropy", engine) == "1"
    assert value("shannonEntropy(s)", {"s": "abcd"}, "_shannonentropy", engine) == "2"
    assert value("shannonEntropy(s)", {"s": "aaaa"}, "_shannonentropy", engine) == "0"
    assert value("shannonEntropy(s)", {"s": ""}, "_shannonentropy", engine) == "0"
    # 日 and 本 twice, 語 once: -(2 * 0.4 log2 0.4 + 0.2 log2 0.2) = 1.521928...
    entropy = float(value("shannonEntropy(s)", {"s": "日本語日本"}, "_shannonentropy", engine))
    assert round(entropy, 6) == 1.521928
    assert match("shannonEntropy(s)", {"t": "x"}, engine) == {"t": "x"}


def test_shannon_entropy_in_a_filter(engine):
    events = [{"id": "1", "d": "aaaaaaaa"}, {"id": "2", "d": "x7Kq9Zp2"}]
    rows = run("shannonEntropy(d) | test(_shannonentropy >= 2)", events, engine)
    assert [r["id"] for r in rows] == ["2"]
