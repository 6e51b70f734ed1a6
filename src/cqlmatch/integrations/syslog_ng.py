"""A rule or a rule pack inside syslog-ng, through ``syslog-ng-mod-python``.

    parser p_cql { python(class("cqlmatch.integrations.syslog_ng.CQLParser")
                          options("rule" "/etc/cqlmatch/rule.cql")); };
    source s_cql_rows { python(class("cqlmatch.integrations.syslog_ng.CQLResults")
                               options("interval" "60")); };

``CQLParser`` matches each message's Falcon JSON (the macro ``field``,
``MESSAGE`` by default): the message is dropped when the rule drops it
(``mode`` ``filter``) or kept unmarked (``mode`` ``tag``); a kept hit gets
the fields the rule assigned as name-value pairs under ``prefix``.
``CQLResults`` is a source that posts the aggregate rows of the parsers'
rules (``groupBy`` and the like) as messages, every ``interval`` seconds
and when syslog-ng stops or reloads.  docs/embedding.md ("syslog-ng") is
the user's guide; examples/syslog-ng/ holds the configurations the tests
run.

The message's bytes go through the same native path as a file
(``Matcher.feed_raw``: the raw prefilter, msgspec decoding of the rule's
fields only, the VM), one line per message: no Python dict is made for an
event the rule drops.

Only the standard library is imported until ``init``: the daemon's own
Python finds this class even when a dependency of cqlmatch is missing, and
``init`` then says which one, with the interpreter and its path, and
refuses to start.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
from pathlib import Path
from typing import Any

try:  # present only inside syslog-ng
    from syslogng import Logger, LogMessage, LogSource  # type: ignore[import-not-found]

    _log: Any = Logger()
except ImportError:  # imported outside the daemon (documentation, tests of the options)
    LogMessage = None
    LogSource = object
    _log = logging.getLogger(__name__)

__all__ = ["CQLParser", "CQLResults"]

MODES = ("filter", "tag")
PARSER_OPTIONS = ("rule", "pack", "field", "prefix", "mode", "prefilter", "lookups", "name")
RESULTS_OPTIONS = ("parser", "interval", "cumulative")
MALFORMED_LOGGED = 10  # messages that are not JSON logged one by one; the rest are counted
_MISSING = object()

# The parsers of the running configuration by name, for ``CQLResults``.
_parsers: dict[str, CQLParser] = {}
_parsers_lock = threading.Lock()


def _say(level: str, text: str) -> None:
    """``text`` in syslog-ng's log, a record per line (it escapes line feeds)."""
    for line in text.splitlines():
        getattr(_log, level)(f"cqlmatch: {line}")


class SetupError(Exception):
    """A configuration the parser or source cannot run with (logged by ``init``)."""


def _yes(options: dict[str, str], key: str) -> bool:
    value = options.get(key, "no").lower()
    if value not in ("yes", "no"):
        raise SetupError(f'option "{key}" is "yes" or "no", not "{options[key]}"')
    return value == "yes"


def _options(given: dict[str, Any], known: tuple[str, ...], what: str) -> dict[str, str]:
    options = {str(k): str(v) for k, v in (given or {}).items()}
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise SetupError(
            f"{what} has no option {', '.join(repr(u) for u in unknown)}; "
            f"its options are {', '.join(known)}"
        )
    return options


def _import_runtime() -> tuple[Any, Any, Any, tuple[type[BaseException], ...]]:
    """cqlmatch's compiler, pack loader and matcher, with the errors a rule
    or pack file can raise; a ``SetupError`` telling how to fix the
    daemon's Python path when they cannot be imported."""
    try:
        from ..errors import CQLError
        from ..packs.model import PackError
        from ..packs.pack import PackCompileError, compile_pack
        from ..packs.packfile import PackFileError
        from ..runtime.matcher import Matcher
        from ..runtime.query import compile as compile_query
    except ImportError as err:
        raise SetupError(
            f"cannot import cqlmatch's runtime into syslog-ng's Python "
            f"({sys.version.split()[0]}): {err}. The daemon needs cqlmatch and its "
            "dependencies (msgspec, pyre2, zstandard, pyyaml) built for this Python; "
            "give it PYTHONPATH=<cqlmatch>/src:<venv>/lib/python3.11/site-packages "
            f"(docs/embedding.md, syslog-ng). Its path now: {':'.join(sys.path)}"
        ) from None
    errors = (CQLError, PackError, PackFileError, PackCompileError)
    return compile_query, compile_pack, Matcher, errors


class CQLParser:
    """syslog-ng's ``python()`` parser: ``init``/``parse``/``deinit``, called
    by the daemon (``parse`` possibly from several threads at once)."""

    name: str
    mode: str

    def init(self, options: dict[str, Any]) -> bool:
        """Read the options, compile the rule or load the pack; on any
        problem log it and return False, so the daemon refuses to start."""
        try:
            self._setup(_options(options, PARSER_OPTIONS, "CQLParser"))
        except SetupError as err:
            _say("error", str(err))
            return False
        with _parsers_lock:
            _parsers[self.name] = self
        return True

    def _setup(self, options: dict[str, str]) -> None:
        rule, pack = options.get("rule"), options.get("pack")
        if (rule is None) == (pack is None):
            raise SetupError('give one of the options "rule" (a .cql file) or "pack"')
        self.mode = options.get("mode", "filter")
        if self.mode not in MODES:
            raise SetupError(f'option "mode" is "filter" or "tag", not "{self.mode}"')
        self.field = options.get("field", "MESSAGE")
        self.prefix = options.get("prefix", "cql.")
        source = rule if rule is not None else pack
        assert source is not None
        self.name = options.get("name", source)
        lookups = options.get("lookups")
        prefilter = _yes(options, "prefilter")
        compile_query, compile_pack, matcher_of, errors = _import_runtime()
        try:
            if rule is not None:
                try:
                    text = Path(rule).read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as err:
                    raise SetupError(f"cannot read the rule {rule}: {err}") from None
                query: Any = compile_query(text, lookup_dir=lookups)
                for diagnostic in query.diagnostics:
                    _say("warning", diagnostic.render(text, rule))
            else:
                query = compile_pack(pack, lookup_dir=lookups)
                for problem in query.problems:
                    _say("warning", f"pack {pack}: left out: {problem}")
                if not query.rules:
                    raise SetupError(f"the pack {pack} has no rule that can run")
            self._matcher = matcher_of(query, prefilter=prefilter, on_malformed=self._malformed)
        except errors as err:
            render = getattr(err, "render", None)
            shown = render(rule) if rule is not None and callable(render) else str(err)
            what = f"rule {rule}" if rule is not None else f"pack {pack}"
            raise SetupError(f"the {what} cannot be used:\n{shown}") from None
        except ValueError as err:  # join()/defineTable(): not on events as they come
            raise SetupError(f"{source}: {err}") from None
        except OSError as err:  # a built pack or a lookup file that cannot be read
            raise SetupError(f"cannot read {source}: {err}") from None
        self._pack = pack is not None
        self._feed = self._matcher.feed_raw
        self._local = threading.local()
        self._count_lock = threading.Lock()
        self.messages = self.kept = self.hits = self.dropped = 0
        self.not_json = self.missing = self.rows = 0
        self._emitted = False
        kind = f"pack {pack} ({len(query.rules)} rules)" if pack else f"rule {rule}"
        _log.info(f"cqlmatch: {kind} loaded, mode {self.mode}, field {self.field}")

    def _malformed(self, bad: Any) -> None:
        """``on_malformed``: remember why this thread's message is not an event."""
        self._local.bad = bad.reason

    def parse(self, msg: Any) -> bool:
        """Match one message: False drops it (filter mode, no hit)."""
        try:
            raw = msg[self.field]
        except KeyError:
            raw = None
        if not raw:
            return self._not_event(msg, None)
        if type(raw) is not bytes:
            raw = str(raw).encode("utf-8")
        if b"\n" in raw:  # one message, one line (JSON allows a space there)
            raw = raw.replace(b"\n", b" ")
        local = self._local
        local.bad = None
        hits = self._feed(raw + b"\n")
        if local.bad is not None:
            return self._not_event(msg, local.bad)
        with self._count_lock:
            self.messages += 1
            if hits:
                self.kept += 1
                self.hits += len(hits)
            else:
                self.dropped += 1
        if not hits:
            return self.mode == "tag"
        prefix = self.prefix
        for number, (_line, in_fields, out) in enumerate(hits, 1):
            at = prefix if number == 1 else f"{prefix}hit{number}."
            before = in_fields.get
            for name, value in out.fields.items():
                if before(name, _MISSING) != value:
                    msg[at + name] = value
        msg[prefix + "hits"] = str(len(hits))
        return True

    def _not_event(self, msg: Any, reason: str | None) -> bool:
        """A message without the field, or whose field is not a JSON object:
        counted, the first ones logged; kept and marked in tag mode."""
        with self._count_lock:
            self.messages += 1
            if reason is None:
                self.missing += 1
                count = 0
            else:
                self.not_json += 1
                count = self.not_json
        if reason is None:
            reason = f"the message has no {self.field}"
        elif count <= MALFORMED_LOGGED:
            more = " (later ones are only counted)" if count == MALFORMED_LOGGED else ""
            _log.warning(f"cqlmatch: {self.name}: a message is not a Falcon event: {reason}{more}")
        if self.mode == "tag":
            msg[self.prefix + "error"] = reason
            return True
        return False

    def results(self, reset: bool) -> list[dict[str, str]]:
        """The aggregate rows over the messages so far (none for a rule
        without aggregates); ``reset``: start the next window empty."""
        if not self._matcher.aggregating:
            return []
        rows = self._matcher.results(reset=reset)
        with self._count_lock:
            self._emitted = True
            self.rows += len(rows)
        return rows

    def deinit(self) -> None:
        """The statistics, to syslog-ng's own log."""
        if not hasattr(self, "_matcher"):  # init refused
            return
        with _parsers_lock:
            if _parsers.get(self.name) is self:
                del _parsers[self.name]
        _log.info(
            f"cqlmatch: {self.name}: {self.messages} messages, {self.kept} kept "
            f"({self.hits} hits), {self.dropped} dropped, {self.not_json} not JSON, "
            f"{self.missing} without {self.field}, {self.rows} aggregate rows emitted"
        )
        if self._matcher.aggregating and not self._emitted:
            _log.warning(
                f"cqlmatch: {self.name}: has aggregate rows but no CQLResults source "
                "emitted them (docs/embedding.md, syslog-ng)"
            )
        warnings = self._matcher.warnings
        if self._pack:
            warnings = [w for rule_warnings in warnings.values() for w in rule_warnings]
        for code, message in warnings:
            _log.warning(f"cqlmatch: {self.name}: {code} {message}")


class CQLResults(LogSource):  # type: ignore[misc,valid-type]
    """syslog-ng's ``python()`` source: each aggregate row of the running
    parsers (all, or those ``parser`` names, comma-separated) as a message
    whose ``MESSAGE`` is the row in JSON and whose name-value pairs are the
    row's fields under the parser's prefix; every ``interval`` seconds over
    the messages since the last time (``cumulative`` "yes": since the
    start) and once more when the daemon stops or reloads."""

    def init(self, options: dict[str, Any]) -> bool:
        try:
            given = _options(options, RESULTS_OPTIONS, "CQLResults")
            names = given.get("parser")
            self._names = [n.strip() for n in names.split(",")] if names else None
            try:
                self._interval = float(given.get("interval", "60"))
            except ValueError:
                raise SetupError(
                    f'option "interval" is a number of seconds, not "{given["interval"]}"'
                ) from None
            if not self._interval > 0:
                raise SetupError('option "interval" must be more than 0 seconds')
            self._cumulative = _yes(given, "cumulative")
        except SetupError as err:
            _say("error", str(err))
            return False
        self._stop = threading.Event()
        self._warned = False
        return True

    def run(self) -> None:
        """The source's thread (the daemon's): emit, wait, until told to stop."""
        while not self._stop.wait(self._interval):
            self._emit()
        self._emit()

    def request_exit(self) -> None:
        self._stop.set()

    def _emit(self) -> None:
        with _parsers_lock:
            parsers = list(_parsers.values())
        if self._names is not None:
            unknown = set(self._names) - {p.name for p in parsers}
            if unknown and not self._warned:
                self._warned = True
                _log.warning(
                    f"cqlmatch: CQLResults: no parser named {', '.join(sorted(unknown))} "
                    '(a parser\'s name is its option "name", or its rule or pack path)'
                )
            parsers = [p for p in parsers if p.name in self._names]
        for parser in parsers:
            try:
                rows = parser.results(reset=not self._cumulative)
            except Exception as err:  # keep the source alive; say why these rows are lost
                _log.error(f"cqlmatch: {parser.name}: no aggregate rows: {err!r}")
                continue
            for row in rows:
                msg = LogMessage(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
                for name, value in row.items():
                    msg[parser.prefix + name] = value
                self.post_message(msg)
