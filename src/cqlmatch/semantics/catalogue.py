"""The function catalogue: every function cqlmatch knows, in one table.

Each entry states the parameters (which one may be unnamed, which are
required, defaults and types), the kind of function and its default output
names.  The checker validates every call against this table and both engines
implement exactly what it lists.  Function names are case-insensitive, as in
LogScale; ``FunctionSpec.name`` is the canonical spelling.

Kinds:
``filter``      keeps or drops each event (may add fields, e.g. regex());
``transform``   changes fields of each event;
``aggregate``   reduces many events to rows; usable inside groupBy(function=);
``stage``       needs the whole stream (sort, head, table, groupBy, ...).
"""

from __future__ import annotations

from enum import Enum

from ..records import Record, record


class T(Enum):
    """Parameter types; the checker converts each argument node to one."""

    FIELD = "field name"
    FIELDS = "field name or array of field names"
    STRING = "string"
    STRINGS = "string or array of strings"
    NUMBER = "number"
    INTEGER = "integer"
    SIGNED = "integer, negative counting from the end"
    LIMIT = "integer or max"
    BOOL = "true or false"
    REGEX = "regex"
    EXPR = "expression"
    AGGREGATES = "aggregate function or array of them"
    QUERY = "sub-query in braces"
    QUERIES = "sub-query or array of sub-queries"
    DURATION = "duration such as 1h or 5m"
    ENUM = "one of the listed values"
    ENUMS = "one of the listed values, or an array of them"
    ANY = "value"


@record
class P(Record):
    """One parameter."""

    name: str
    type: T
    required: bool = False
    default: object = None
    choices: tuple[str, ...] = ()
    # choices LogScale no longer accepts, each with what became of it; still
    # run (as the default) with a warning, an error under --strict
    retired: tuple[tuple[str, str], ...] = ()
    # undocumented spellings real queries use, each (a word, the choice it
    # means): the word or a prefix of it (3 letters or more) runs as the
    # choice with a warning, an error under --strict
    spellings: tuple[tuple[str, str], ...] = ()

    def __init__(
        self,
        name: str,
        type: T,
        required: bool = False,
        default: object = None,
        choices: tuple[str, ...] = (),
        retired: tuple[tuple[str, str], ...] = (),
        spellings: tuple[tuple[str, str], ...] = (),
    ) -> None:
        # Written out (``Record``'s generic one is slower): the catalogue
        # makes about 500 of these at every start.
        put = object.__setattr__
        put(self, "name", name)
        put(self, "type", type)
        put(self, "required", required)
        put(self, "default", default)
        put(self, "choices", choices)
        put(self, "retired", retired)
        put(self, "spellings", spellings)


@record
class FunctionSpec(Record):
    name: str
    kind: str
    params: tuple[P, ...] = ()
    unnamed: str | None = None  # the parameter whose name may be omitted
    output: str | None = None  # default output field (``as`` default)
    negatable: bool = False
    unsupported: str | None = None  # why the offline engine refuses it
    external: bool = False  # refused because it needs data from outside the events
    aliases: tuple[str, ...] = ()
    # the user's data it reads (``semantics.enrich``: "geoip", "asn" or
    # "iocs"): without it the query is E223, as an external function is
    needs: str | None = None

    def __init__(
        self,
        name: str,
        kind: str,
        params: tuple[P, ...] = (),
        unnamed: str | None = None,
        output: str | None = None,
        negatable: bool = False,
        unsupported: str | None = None,
        external: bool = False,
        aliases: tuple[str, ...] = (),
        needs: str | None = None,
    ) -> None:
        put = object.__setattr__  # (written out, as P's)
        put(self, "name", name)
        put(self, "kind", kind)
        put(self, "params", params)
        put(self, "unnamed", unnamed)
        put(self, "output", output)
        put(self, "negatable", negatable)
        put(self, "unsupported", unsupported)
        put(self, "external", external)
        put(self, "aliases", aliases)
        put(self, "needs", needs)

    def param(self, name: str) -> P | None:
        lowered = name.lower()
        for p in self.params:
            if p.name.lower() == lowered:
                return p
        return None


def _as(default: str) -> P:
    return P("as", T.FIELD, default=default)


_ORDER = ("asc", "desc")
# published queries write order=ascending, descending, asce, des
_ORDER_SPELLINGS = (("ascending", "asc"), ("descending", "desc"))
# sort() and table() type=: any was deprecated in 1.125 and removed in 1.142
_SORT_TYPES = ("number", "string", "hex")
_ANY_RETIRED = (("any", "deprecated in LogScale 1.125 and removed in 1.142; it sorts as number"),)
_CATALOGUE: list[FunctionSpec] = [
    # --- filters ---------------------------------------------------------
    FunctionSpec(
        "in",
        "filter",
        (
            P("field", T.FIELD, required=True),
            P("values", T.STRINGS, required=True),
            P("ignoreCase", T.BOOL, default=False),
        ),
        unnamed="field",
        negatable=True,
    ),
    FunctionSpec(
        "cidr",
        "filter",
        (
            P("field", T.FIELD, required=True),
            P("subnet", T.STRINGS),
            P("negate", T.BOOL, default=False),
            P("file", T.STRING),
            P("column", T.STRING),
        ),
        unnamed="field",
        negatable=True,
    ),
    FunctionSpec(
        "regex",
        "filter",
        (
            P("regex", T.REGEX, required=True),
            P("field", T.FIELD, default="@rawstring"),
            P("flags", T.STRING, default="m"),
            P("strict", T.BOOL, default=True),
            P("repeat", T.BOOL, default=False),
            P("limit", T.INTEGER, default=100),
        ),
        unnamed="regex",
        negatable=True,
    ),
    FunctionSpec(
        "wildcard",
        "filter",
        (
            P("pattern", T.STRING, required=True),
            P("field", T.FIELDS),
            P("ignoreCase", T.BOOL, default=False),
            P("includeEverythingOnAsterisk", T.BOOL, default=False),
        ),
        unnamed="pattern",
        negatable=True,
    ),
    FunctionSpec(
        "test", "filter", (P("expression", T.EXPR, required=True),), "expression", negatable=True
    ),
    FunctionSpec("dropEvent", "filter"),
    FunctionSpec(
        "match",
        "filter",
        (
            P("file", T.STRING),
            P("table", T.STRING),
            P("field", T.FIELDS, required=True),
            P("column", T.FIELDS),
            P("include", T.FIELDS),
            P("ignoreCase", T.BOOL, default=False),
            P("mode", T.ENUM, default="string", choices=("string", "glob", "cidr")),
            P("strict", T.BOOL, default=True),
            P("nrows", T.LIMIT, default=1),
        ),
        unnamed="file",
        negatable=True,
    ),
    FunctionSpec(
        "matchAsArray",
        "filter",
        (
            P("file", T.STRING),
            P("table", T.STRING),
            P("field", T.FIELDS, required=True),
            P("column", T.FIELDS),
            P("include", T.FIELDS),
            P("ignoreCase", T.BOOL, default=False),
            P("strict", T.BOOL, default=True),
            P("nrows", T.LIMIT),
            P("asArray", T.STRING, default="_now"),
        ),
        unnamed="file",
    ),
    FunctionSpec(
        "text:contains",
        "filter",
        (P("string", T.EXPR, required=True), P("substring", T.EXPR, required=True)),
        unnamed="string",
        output="_contains",
        negatable=True,
    ),
    FunctionSpec(
        "array:contains",
        "filter",
        (P("array", T.STRING, required=True), P("value", T.STRING, required=True)),
        unnamed="array",
        negatable=True,
    ),
    # --- expressions and assignment ---------------------------------------------
    FunctionSpec("eval", "transform", (P("expression", T.EXPR, required=True),), "expression"),
    FunctionSpec(
        "if",
        "transform",
        (
            P("condition", T.EXPR, required=True),
            P("then", T.EXPR, required=True),
            P("else", T.EXPR, required=True),
            _as("_if"),
        ),
        unnamed="condition",
        output="_if",
    ),
    FunctionSpec(
        "coalesce",
        "transform",
        (
            P("expressions", T.ANY, required=True),
            P("ignoreEmpty", T.BOOL, default=True),
            _as("_coalesce"),
        ),
        unnamed="expressions",
        output="_coalesce",
    ),
    # --- field manipulation --------------------------------------------------------
    FunctionSpec(
        "default",
        "transform",
        (
            P("value", T.STRING, required=True),
            P("field", T.FIELDS, required=True),
            P("replaceEmpty", T.BOOL, default=False),
        ),
        unnamed="value",
    ),
    FunctionSpec(
        "drop",
        "transform",
        (
            P("fields", T.FIELDS, required=True),
            P("mode", T.ENUM, default="exact", choices=("exact", "glob")),
        ),
        unnamed="fields",
    ),
    FunctionSpec(
        "rename",
        "transform",
        (P("field", T.ANY, required=True), P("as", T.FIELD)),
        unnamed="field",
    ),
    FunctionSpec("select", "transform", (P("fields", T.FIELDS, required=True),), "fields"),
    FunctionSpec(
        "replace",
        "transform",
        (
            P("regex", T.REGEX, required=True),
            P("with", T.STRING),
            P("replacement", T.STRING),
            P("field", T.FIELD, default="@rawstring"),
            P("as", T.FIELD),
            P("flags", T.STRING, default="m"),
        ),
        unnamed="regex",
    ),
    FunctionSpec(
        "lower",
        "transform",
        (P("field", T.FIELD, required=True), _as("_lower"), P("locale", T.STRING)),
        "field",
        "_lower",
    ),
    FunctionSpec(
        "upper",
        "transform",
        (P("field", T.FIELD, required=True), _as("_upper"), P("locale", T.STRING)),
        "field",
        "_upper",
    ),
    FunctionSpec(
        "length",
        "transform",
        (P("field", T.FIELD, required=True), _as("_length")),
        "field",
        "_length",
    ),
    FunctionSpec(
        "text:length",
        "transform",
        (P("string", T.EXPR, required=True), _as("_length")),
        "string",
        "_length",
    ),
    FunctionSpec(
        "concat",
        "transform",
        (P("field", T.FIELDS, required=True), _as("_concat")),
        "field",
        "_concat",
    ),
    FunctionSpec(
        "format",
        "transform",
        (
            P("format", T.STRING, required=True),
            P("field", T.FIELDS, required=True),
            _as("_format"),
            P("timezone", T.STRING),
        ),
        unnamed="format",
        output="_format",
    ),
    FunctionSpec(
        "splitString",
        "transform",
        (
            P("field", T.FIELD, default="@rawstring"),
            P("by", T.REGEX, required=True),
            P("index", T.SIGNED),
            _as("_splitstring"),
        ),
        unnamed="field",
        output="_splitstring",
    ),
    FunctionSpec(
        "split",
        "transform",
        (P("field", T.FIELD, default="_events"), P("strip", T.BOOL, default=False)),
        unnamed="field",
    ),
    FunctionSpec(
        "crypto:md5",
        "transform",
        (P("field", T.FIELDS, required=True), _as("_md5")),
        "field",
        "_md5",
    ),
    FunctionSpec(
        "crypto:sha1",
        "transform",
        (P("field", T.FIELDS, required=True), _as("_sha1")),
        "field",
        "_sha1",
    ),
    FunctionSpec(
        "crypto:sha256",
        "transform",
        (P("field", T.FIELDS, required=True), _as("_sha256")),
        "field",
        "_sha256",
    ),
    FunctionSpec(
        "parseJson",
        "transform",
        (
            P("field", T.FIELD, default="@rawstring"),
            P("prefix", T.STRING, default=""),
            P("include", T.FIELDS),
            P("exclude", T.FIELDS),
            P("excludeEmpty", T.BOOL, default=False),
            P("removePrefixes", T.FIELDS),
            P("handleNull", T.ENUM, default="keep", choices=("keep", "discard", "empty")),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "kvParse",
        "transform",
        (
            P("field", T.FIELDS, default="@rawstring"),
            P("as", T.STRING, default=""),
            P("prefix", T.STRING),
            P("onDuplicate", T.ENUM, default="keepLast", choices=("keepFirst", "keepLast")),
            P("override", T.BOOL, default=False),
            P("excludeEmpty", T.BOOL, default=False),
            P("separator", T.STRING, default="="),
            P("separatorPadding", T.ENUM, default="unknown", choices=("yes", "no", "unknown")),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "round",
        "transform",
        (
            P("field", T.FIELD, required=True),
            P("how", T.ENUM, default="round", choices=("round", "floor", "ceil")),
            P("as", T.FIELD),  # default: the input field itself
        ),
        "field",
    ),
    FunctionSpec(
        "formatTime",
        "transform",
        (
            P("format", T.STRING, required=True),
            P("field", T.FIELD, default="@timestamp"),
            _as("_time"),
            P("locale", T.STRING),
            P("timezone", T.STRING, default="UTC"),
            P("unit", T.ENUM, default="auto", choices=("milliseconds", "seconds", "auto")),
        ),
        unnamed="format",
        output="_time",
    ),
    FunctionSpec(
        "parseTimestamp",
        "transform",
        (
            P("format", T.STRING, default="yyyy-MM-dd'T'HH:mm:ss[.SSSSSSSSS]XXXXX"),
            P("field", T.FIELD, default="@rawstring"),
            _as("@timestamp"),
            P("timezone", T.STRING),
            P("timezoneAs", T.FIELD),
            P("addErrors", T.BOOL, default=True),
            P("caseSensitive", T.BOOL, default=True),
            P("unit", T.ENUM, default="milliseconds", choices=("milliseconds", "seconds", "auto")),
        ),
        unnamed="format",
        output="@timestamp",
    ),
    FunctionSpec("now", "transform", (_as("_now"),), unnamed="as", output="_now"),
    # --- aggregates -----------------------------------------------------------------
    FunctionSpec(
        "count",
        "aggregate",
        (P("field", T.FIELD), P("distinct", T.BOOL, default=False), _as("_count")),
        "field",
        "_count",
    ),
    FunctionSpec(
        "sum", "aggregate", (P("field", T.FIELD, required=True), _as("_sum")), "field", "_sum"
    ),
    FunctionSpec(
        "avg", "aggregate", (P("field", T.FIELD, required=True), _as("_avg")), "field", "_avg"
    ),
    FunctionSpec(
        "min",
        "aggregate",
        (P("field", T.FIELD, required=True), _as("_min"), P("type", T.STRING)),
        "field",
        "_min",
    ),
    FunctionSpec(
        "max",
        "aggregate",
        (P("field", T.FIELD, required=True), _as("_max"), P("type", T.STRING)),
        "field",
        "_max",
    ),
    FunctionSpec("stats", "aggregate", (P("function", T.AGGREGATES, default=()),), "function"),
    FunctionSpec(
        "collect",
        "aggregate",
        (
            P("fields", T.FIELDS, required=True),
            P("limit", T.INTEGER, default=2000),
            P("multival", T.BOOL, default=True),
            P("separator", T.STRING, default="\n"),
        ),
        unnamed="fields",
    ),
    FunctionSpec(
        "selectLast",
        "aggregate",
        (P("fields", T.FIELDS, required=True),),
        unnamed="fields",
    ),
    FunctionSpec(
        "selectFromMax",
        "aggregate",
        (P("field", T.FIELD, required=True), P("include", T.FIELDS, required=True)),
        unnamed="field",
    ),
    FunctionSpec(
        "selectFromMin",
        "aggregate",
        (P("field", T.FIELD, required=True), P("include", T.FIELDS, required=True)),
        unnamed="field",
    ),
    FunctionSpec(
        "groupBy",
        "stage",
        (
            P("field", T.FIELDS, required=True),
            P("function", T.AGGREGATES),
            P("limit", T.LIMIT, default=20000),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "top",
        "stage",
        (
            P("field", T.FIELDS, required=True),
            P("limit", T.LIMIT, default=10),
            P("sum", T.FIELD),
            P("percent", T.BOOL, default=False),
            P("as", T.FIELD),
            P("rest", T.STRING),
            P("max", T.FIELD),
            P("error", T.INTEGER, default=5),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "table",
        "stage",
        (
            P("fields", T.FIELDS, required=True),
            P("limit", T.LIMIT, default=200),
            P("sortby", T.FIELDS, default="@timestamp"),
            P("order", T.ENUMS, default="desc", choices=_ORDER, spellings=_ORDER_SPELLINGS),
            P("type", T.ENUMS, default="number", choices=_SORT_TYPES, retired=_ANY_RETIRED),
            P("reverse", T.BOOL),
        ),
        unnamed="fields",
    ),
    FunctionSpec(
        "sort",
        "stage",
        (
            P("field", T.FIELDS, default="_count"),
            P("order", T.ENUMS, default="desc", choices=_ORDER, spellings=_ORDER_SPELLINGS),
            P("limit", T.LIMIT, default=200),
            P("type", T.ENUMS, default="number", choices=_SORT_TYPES, retired=_ANY_RETIRED),
            P("reverse", T.BOOL),
        ),
        unnamed="field",
    ),
    FunctionSpec("head", "stage", (P("limit", T.LIMIT, default=200),), "limit"),
    FunctionSpec("tail", "stage", (P("limit", T.LIMIT, default=200),), "limit"),
    FunctionSpec(
        "bucket",
        "stage",
        (
            P("span", T.DURATION),
            P("buckets", T.INTEGER),
            P("field", T.FIELDS),
            P("function", T.AGGREGATES),
            P("limit", T.LIMIT, default=10),
            P("minSpan", T.DURATION),
            P("timezone", T.STRING),
            P("unit", T.STRINGS),
        ),
        unnamed="span",
    ),
    FunctionSpec(
        "timeChart",
        "stage",
        (
            P("series", T.FIELD),
            P("function", T.AGGREGATES),
            P("span", T.DURATION),
            P("buckets", T.INTEGER),
            P("limit", T.LIMIT, default=10),
            P("minSpan", T.DURATION),
            P("timezone", T.STRING),
            P("unit", T.STRINGS),
        ),
        unnamed="series",
    ),
]

_CATALOGUE += [
    FunctionSpec(
        "createEvents",
        "stage",
        (P("rawstring", T.STRINGS, required=True),),
        unnamed="rawstring",
    ),
    FunctionSpec(
        "defineTable",
        "stage",
        (
            P("query", T.QUERY, required=True),
            P("name", T.STRING, required=True),
            P("include", T.FIELDS),
            P("start", T.STRING),
            P("end", T.STRING),
            P("view", T.STRING),
        ),
    ),
    FunctionSpec(
        "readFile",
        "stage",
        (P("file", T.STRINGS, required=True), P("include", T.FIELDS), P("limit", T.INTEGER)),
        unnamed="file",
    ),
    FunctionSpec(
        "join",
        "stage",
        (
            P("query", T.QUERY, required=True),
            P("field", T.FIELDS, required=True),
            P("key", T.FIELDS),
            P("include", T.FIELDS),
            P("mode", T.ENUM, default="inner", choices=("inner", "left")),
            P("limit", T.LIMIT, default=100000),
            P("max", T.INTEGER, default=1),
            P("start", T.STRING),
            P("end", T.STRING),
            P("live", T.BOOL),
            P("repo", T.STRING),
            P("view", T.STRING),
        ),
        unnamed="query",
    ),
    FunctionSpec(
        "sankey",
        "stage",
        (
            P("source", T.FIELD, required=True),
            P("target", T.FIELD, required=True),
            P("weight", T.AGGREGATES),
        ),
    ),
    FunctionSpec(
        "selfJoinFilter",
        "stage",
        (
            P("field", T.FIELDS, required=True),
            P("where", T.QUERIES, required=True),
            P("prefilter", T.BOOL, default=False),
        ),
        unnamed="field",
    ),
]


# --- added: functions used by real CQL in the corpus ---
# (LogScale pages functions-<name>.html; implementations in functions/, one
# module per topic, whose docstrings state the semantic decisions.)
_TIME_ZONE_PARAMS = (P("timezone", T.STRING), P("timezoneField", T.FIELD, default="@timezone"))


def _time_part(name: str, output: str) -> FunctionSpec:
    return FunctionSpec(
        name,
        "transform",
        (_as(output), P("field", T.FIELD, default="@timestamp"), *_TIME_ZONE_PARAMS),
        unnamed="field",
        output=output,
    )


def _value_of(name: str, output: str, *params: P) -> FunctionSpec:
    """A transform reading ``field`` (name omittable) into ``as``."""
    return FunctionSpec(
        name,
        "transform",
        (P("field", T.FIELD, required=True), _as(output), *params),
        unnamed="field",
        output=output,
    )


def _numeric_aggregate(name: str, output: str) -> FunctionSpec:
    return FunctionSpec(
        name, "aggregate", (P("field", T.FIELD, required=True), _as(output)), "field", output
    )


_CATALOGUE += [
    FunctionSpec(
        "unit:convert",
        "transform",
        (
            P("field", T.FIELD, required=True),
            P("as", T.FIELD),
            P("binary", T.BOOL, default=False),
            P("from", T.STRING),
            P("keepUnit", T.BOOL, default=False),
            P("to", T.STRING),
            P("unit", T.STRING),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "formatDuration",
        "transform",
        (
            P("field", T.FIELD, required=True),
            P("as", T.FIELD),
            P("from", T.ENUM, default="ms", choices=("d", "h", "m", "s", "ms", "us", "ns")),
            P("precision", T.INTEGER, default=0),
        ),
        unnamed="field",
    ),
    _value_of("shannonEntropy", "_shannonentropy"),
    _value_of("urlDecode", "_urldecode"),
    _value_of("base64Decode", "_base64Decode", P("charset", T.STRING, default="UTF-8")),
    _value_of("math:floor", "_floor"),
    FunctionSpec(
        "percentile",
        "aggregate",
        (
            P("field", T.FIELD, required=True),
            P("as", T.FIELD),
            P("percentiles", T.STRINGS, default=("50", "75", "99")),
            P("accuracy", T.NUMBER, default=0.01),
        ),
        unnamed="field",
    ),
    _numeric_aggregate("stdDev", "_stddev"),
    _numeric_aggregate("range", "_range"),
    FunctionSpec(
        "concatArray",
        "transform",
        (
            P("field", T.FIELD, required=True),
            _as("_concatArray"),
            P("from", T.INTEGER, default=0),
            P("to", T.INTEGER),
            P("prefix", T.STRING),
            P("separator", T.STRING, default=""),
            P("suffix", T.STRING),
        ),
        unnamed="field",
        output="_concatArray",
    ),
    FunctionSpec(
        "array:length",
        "transform",
        (P("array", T.STRING, required=True), _as("_length")),
        unnamed="array",
        output="_length",
    ),
    FunctionSpec(
        "array:exists",
        "filter",
        (
            P("array", T.STRING, required=True),
            # the pipeline form condition={...} needs a "sub-query or filter
            # call" parameter type; the corpus uses the call form
            P("condition", T.ANY, required=True),
            P("var", T.STRING),
        ),
        unnamed="array",
    ),
    FunctionSpec(
        "array:filter",
        "transform",
        (
            P("array", T.STRING, required=True),
            P("function", T.QUERY, required=True),
            P("var", T.STRING),
            P("asArray", T.STRING),
        ),
        unnamed="array",
    ),
    FunctionSpec("array:drop", "transform", (P("array", T.STRING, required=True),), "array"),
    FunctionSpec(
        "lowercase",
        "transform",
        (
            P("field", T.FIELDS, required=True),
            P("include", T.ENUM, default="values", choices=("values", "fields", "both")),
            P("locale", T.STRING),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "parseInt",
        "transform",
        (
            P("field", T.FIELD, required=True),
            P("as", T.FIELD),
            P("radix", T.INTEGER, default=16),
            P("endian", T.ENUM, default="big", choices=("big", "little")),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "bitfield:extractFlags",
        "transform",
        (
            P("field", T.FIELD, required=True),
            P("output", T.ANY, required=True),
            P("onlyTrue", T.BOOL, default=False),
        ),
    ),
    FunctionSpec(
        "communityId",
        "transform",
        (
            _as("_community_id"),
            P("proto", T.FIELD, required=True),
            P("sourceip", T.FIELD, required=True),
            P("destinationip", T.FIELD, required=True),
            P("sourceport", T.FIELD),
            P("destinationport", T.FIELD),
            P("icmptype", T.FIELD),
            P("icmpcode", T.FIELD),
            P("seed", T.INTEGER, default=0),
        ),
        output="_community_id",
    ),
    FunctionSpec(
        "parseXml",
        "transform",
        (
            P("field", T.FIELD, default="@rawstring"),
            P("prefix", T.STRING, default=""),
            P("strict", T.BOOL, default=False),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "parseCsv",
        "transform",
        (
            P("field", T.FIELD, default="@rawstring"),
            P("columns", T.STRINGS, required=True),
            P("delimiter", T.STRING, default=","),
            P("excludeEmpty", T.BOOL, default=False),
            P("trim", T.BOOL, default=False),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "parseUrl", "transform", (P("field", T.FIELD, default="url"), P("as", T.FIELD)), "field"
    ),
    FunctionSpec(
        "getField",
        "transform",
        (P("source", T.EXPR, required=True), _as("_getField")),
        unnamed="source",
        output="_getField",
    ),
    FunctionSpec(
        "setField",
        "transform",
        (P("target", T.EXPR, required=True), P("value", T.EXPR, required=True)),
    ),
    _time_part("time:dayOfMonth", "_dayOfMonth"),
    _time_part("time:dayOfWeek", "_dayOfWeek"),
    _time_part("time:dayOfWeekName", "_dayOfWeekName"),
    _time_part("time:dayOfYear", "_dayOfYear"),
    _time_part("time:hour", "_hour"),
    _time_part("time:millisecond", "_millisecond"),
    _time_part("time:minute", "_minute"),
    _time_part("time:month", "_month"),
    _time_part("time:monthName", "_monthName"),
    _time_part("time:second", "_second"),
    _time_part("time:weekOfYear", "_weekOfYear"),
    _time_part("time:year", "_year"),
    FunctionSpec(
        "findTimestamp",
        "transform",
        (
            P("field", T.FIELD, default="@rawstring"),
            _as("@timestamp"),
            P("addErrors", T.BOOL, default=True),
            P("timezone", T.STRING),
            P("timezoneAs", T.FIELD, default="@timezone"),
            P("timezoneField", T.FIELD),
        ),
    ),
    FunctionSpec("eventSize", "transform", (_as("_eventSize"),), output="_eventSize"),
    FunctionSpec(
        "eventFieldCount", "transform", (_as("_eventFieldCount"),), output="_eventFieldCount"
    ),
    FunctionSpec("copyEvent", "transform", (P("type", T.STRING, required=True),), "type"),
    FunctionSpec(
        "hash",
        "transform",
        (
            P("field", T.FIELDS, required=True),
            _as("_hash"),
            P("limit", T.INTEGER),
            P("seed", T.STRING),
        ),
        unnamed="field",
        output="_hash",
    ),
    FunctionSpec(
        "json:prettyPrint",
        "transform",
        (
            P("field", T.FIELD, default="@rawstring"),
            P("as", T.FIELD),
            P("step", T.INTEGER, default=2),
            P("strict", T.BOOL, default=False),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "writeJson",
        "transform",
        (P("field", T.FIELDS, default="@rawstring"), _as("_json")),
        unnamed="field",
        output="_json",
    ),
    FunctionSpec(
        "neighbor",
        "stage",
        (
            P("include", T.FIELDS, required=True),
            P("prefix", T.STRING, default="_neighbor"),
            P("direction", T.ENUM, default="preceding", choices=("preceding", "succeeding")),
            P("distance", T.INTEGER, default=1),
        ),
        unnamed="include",
    ),
    FunctionSpec(
        "transpose",
        "stage",
        (
            P("pivot", T.FIELD),
            P("header", T.FIELD),
            P("column", T.STRING, default="column"),
            P("limit", T.INTEGER, default=5),
        ),
        unnamed="pivot",
    ),
]

# --- enrichment from the user's own data (semantics.enrich) ---------------------------
_CATALOGUE += [
    FunctionSpec(
        "ipLocation",
        "transform",
        (P("field", T.FIELD, default="ip"), P("as", T.FIELD)),
        unnamed="field",
        external=True,
        needs="geoip",
    ),
    FunctionSpec(
        "asn",
        "transform",
        (P("field", T.FIELD, default="ip"), P("as", T.FIELD)),
        unnamed="field",
        external=True,
        needs="asn",
    ),
    FunctionSpec(
        "ioc:lookup",
        "transform",
        (
            P("field", T.FIELDS, required=True),
            P("type", T.ENUM, required=True, choices=("ip_address", "domain", "url")),
            P(
                "confidenceThreshold",
                T.ENUM,
                default="high",
                choices=("unverified", "low", "medium", "high"),
            ),
            P("include", T.STRINGS),
            P("prefix", T.STRING, default="ioc"),
            P("strict", T.BOOL, default=False),
        ),
        unnamed="field",
        external=True,
        needs="iocs",
    ),
]


# --- added for issue 18: functions real queries and the documentation use ---
# (implementations: functions/maths.py, encoding.py, substrings.py,
# array_more.py, object_arrays.py, formats.py, sequences.py; their
# docstrings state the decisions).  A block of its own, for easy merges.
def _math(name: str, output: str, *params: P) -> FunctionSpec:
    return _value_of(name, output, *params)


_SEQUENCE_CURRENT = P("current", T.ENUM, default="include", choices=("include", "exclude"))
_CATALOGUE += [
    _math("math:ceil", "_ceil"),
    _math("math:abs", "_abs"),
    _math("math:sqrt", "_sqrt"),
    _math("math:log", "_log"),
    _math("math:log10", "_log10"),
    _math("math:log2", "_log2"),
    _math("math:exp", "_exp"),
    _math("math:pow", "_pow", P("exponent", T.NUMBER, required=True)),
    _value_of("urlEncode", "_urlencode", P("type", T.ENUM, choices=("full", "parameter"))),
    _value_of("base64Encode", "_base64Encode", P("charset", T.STRING, default="UTF-8")),
    _value_of("tokenHash", "_tokenHash"),
    _value_of("parseHexString", "_parsehexstring", P("charset", T.STRING, default="UTF-8")),
    FunctionSpec(
        "text:positionOf",
        "transform",
        (
            P("string", T.EXPR, required=True),
            P("character", T.EXPR, required=True),
            _as("_position"),
        ),
        unnamed="string",
        output="_position",
    ),
    FunctionSpec(
        "text:substring",
        "transform",
        (
            P("string", T.EXPR, required=True),
            P("begin", T.EXPR, default=0),
            P("end", T.EXPR),
            _as("_string"),
        ),
        unnamed="string",
        output="_string",
    ),
    FunctionSpec(
        "array:regex",
        "filter",
        (
            P("array", T.STRING, required=True),
            P("regex", T.REGEX, required=True),
            P("flags", T.STRING, default=""),
        ),
        unnamed="array",
        negatable=True,
    ),
    FunctionSpec(
        "array:dedup",
        "transform",
        (P("array", T.STRING, required=True), P("asArray", T.STRING)),
        unnamed="array",
    ),
    FunctionSpec(
        "array:sort",
        "transform",
        (
            P("array", T.STRING, required=True),
            P("asArray", T.STRING),
            P(
                "order",
                T.ENUM,
                default="asc",
                choices=("asc", "desc", "ascending", "descending"),
            ),
            P("type", T.ENUM, default="string", choices=("string", "number")),
        ),
        unnamed="array",
    ),
    FunctionSpec(
        "array:reduceRow",
        "transform",
        (
            P("array", T.STRING, required=True),
            P("function", T.AGGREGATES, required=True),
            P("var", T.STRING, required=True),
            _as("_reduceRow"),
        ),
        unnamed="array",
        output="_reduceRow",
    ),
    FunctionSpec(
        "array:reduceAll",
        "stage",
        (
            P("array", T.STRING, required=True),
            P("function", T.AGGREGATES, required=True),
            P("var", T.STRING, required=True),
        ),
        unnamed="array",
    ),
    FunctionSpec(
        "array:reduceColumn",
        "stage",
        (
            P("array", T.STRING, required=True),
            P("function", T.AGGREGATES, required=True),
            P("var", T.STRING, required=True),
            _as("_reduceColumn"),
        ),
        unnamed="array",
    ),
    FunctionSpec(
        "array:union",
        "stage",
        (P("array", T.STRING, required=True), _as("_union")),
        unnamed="array",
    ),
    FunctionSpec(
        "array:intersection",
        "stage",
        (P("array", T.STRING, required=True), _as("_intersection")),
        unnamed="array",
    ),
    FunctionSpec(
        "objectArray:eval",
        "transform",
        (
            P("array", T.STRING, required=True),
            P("asArray", T.STRING, required=True),
            P("function", T.QUERY, required=True),
            P("var", T.STRING),
        ),
        unnamed="array",
    ),
    FunctionSpec(
        "objectArray:exists",
        "filter",
        (
            P("array", T.STRING, required=True),
            P("condition", T.QUERY, required=True),
            P("var", T.STRING),
        ),
        unnamed="array",
    ),
    FunctionSpec(
        "parseCEF",
        "transform",
        (
            P("field", T.FIELD, default="@rawstring"),
            P("prefix", T.STRING, default="cef.ext."),
            P("headerprefix", T.STRING, default="cef."),
            P("labelprefix", T.STRING, default="cef.label."),
            P("keeplabels", T.BOOL, default=False),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "parseLEEF",
        "transform",
        (
            P("field", T.FIELD, default="@rawstring"),
            P("prefix", T.STRING, default="leef.ext."),
            P("headerprefix", T.STRING, default="leef."),
            P("labelprefix", T.STRING, default="leef.label."),
            P("keeplabels", T.BOOL, default=False),
            P("delimiter", T.STRING),
            P("parsetime", T.BOOL, default=True),
            P("timezone", T.STRING, default="Z"),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "parseFixedWidth",
        "transform",
        (
            P("field", T.FIELD, default="@rawstring"),
            P("columns", T.STRINGS, required=True),
            P("widths", T.STRINGS, required=True),
            P("trim", T.BOOL, default=True),
        ),
        unnamed="field",
    ),
    FunctionSpec(
        "duration",
        "transform",
        (P("duration", T.DURATION, required=True), _as("_duration")),
        unnamed="duration",
        output="_duration",
    ),
    FunctionSpec(
        "setTimeInterval",
        "stage",
        (
            P("start", T.STRING, required=True),
            P("end", T.STRING, default="now"),
            P("timezone", T.STRING),
        ),
        unnamed="start",
    ),
    FunctionSpec(
        "sample",
        "filter",
        (P("percentage", T.NUMBER, default=1), P("field", T.FIELD, default="@timestamp")),
        unnamed="percentage",
    ),
    FunctionSpec(
        "series",
        "stage",
        (
            P("collect", T.FIELDS, required=True),
            P("separator", T.STRING, default="\n"),
            P("startmatch", T.QUERY),
            P("endmatch", T.QUERY),
            P("maxpause", T.DURATION),
            P("maxduration", T.DURATION),
            P("memlimit", T.STRING, default="1KiB"),
        ),
        unnamed="collect",
    ),
    FunctionSpec(
        "session",
        "stage",
        (P("function", T.AGGREGATES), P("maxpause", T.DURATION, default=900_000)),
        unnamed="function",
    ),
    FunctionSpec(
        "window",
        "stage",
        (P("function", T.AGGREGATES), P("span", T.DURATION), P("buckets", T.INTEGER)),
        unnamed="function",
    ),
    FunctionSpec(
        "slidingWindow",
        "stage",
        (
            P("function", T.AGGREGATES, required=True),
            P("events", T.INTEGER, required=True),
            _SEQUENCE_CURRENT,
        ),
        unnamed="function",
    ),
    FunctionSpec(
        "slidingTimeWindow",
        "stage",
        (
            P("function", T.AGGREGATES, required=True),
            P("span", T.DURATION, required=True),
            _SEQUENCE_CURRENT,
            P("timestampfield", T.FIELD, default="@timestamp"),
        ),
        unnamed="function",
    ),
    FunctionSpec(
        "accumulate",
        "stage",
        (P("function", T.AGGREGATES, required=True), _SEQUENCE_CURRENT),
        unnamed="function",
    ),
    FunctionSpec(
        "partition",
        "stage",
        (
            P("function", T.AGGREGATES, required=True),
            P("condition", T.QUERY, required=True),
            P("split", T.ENUM, default="before", choices=("before", "after")),
        ),
        unnamed="function",
    ),
    FunctionSpec(
        "geography:distance",
        "transform",
        (
            P("lat1", T.FIELD, required=True),
            P("lon1", T.FIELD, required=True),
            P("lat2", T.FIELD, required=True),
            P("lon2", T.FIELD, required=True),
            _as("_distance"),
        ),
        output="_distance",
    ),
    FunctionSpec(
        "geohash",
        "transform",
        (
            P("lat", T.FIELD, default="ip.lat"),
            P("lon", T.FIELD, default="ip.lon"),
            P("precision", T.INTEGER, default=12),
            _as("_geohash"),
        ),
        output="_geohash",
    ),
    FunctionSpec("start", "transform", (_as("_start"),), unnamed="as", output="_start"),
    FunctionSpec("end", "transform", (_as("_end"),), unnamed="as", output="_end"),
    FunctionSpec("fieldset", "stage"),
    FunctionSpec(
        "array:eval",
        "transform",
        (
            P("array", T.STRING, required=True),
            P("function", T.QUERY, required=True),
            P("asArray", T.STRING),
            P("var", T.STRING),
        ),
        unnamed="array",
    ),
    FunctionSpec(
        "array:append",
        "transform",
        (P("array", T.STRING, required=True), P("values", T.ANY, required=True)),
        unnamed="array",
    ),
    # correlate(name: { query } include: [fields], ..., options): the named
    # sub-queries are bound by the checker into the "queries" argument
    FunctionSpec(
        "correlate",
        "stage",
        (
            P("within", T.DURATION),
            P("sequence", T.BOOL, default=False),
            P("root", T.STRING),
            P("maxPerRoot", T.INTEGER, default=1),
            P("jitterTolerance", T.DURATION),
            P("globalConstraints", T.FIELDS, default=()),
            P("includeMatchesOnceOnly", T.BOOL, default=False),
        ),
    ),
]


_OFFLINE = "needs LogScale-side data that an offline engine does not have"
_UNSUPPORTED = {
    "rdns": "needs DNS look-ups at query time",
    "worldMap": "places events on a map by GeoIP look-ups",
    "selfJoin": "needs a second pass over LogScale-side data; not supported offline yet",
    "fieldstats": _OFFLINE,
    "hashMatch": "hashes with a secret salt kept on the LogScale server",
    "hashRewrite": "hashes with a secret salt kept on the LogScale server",
}
# Functions that need data from outside the events that cqlmatch cannot be
# given (DNS, map widgets, a server-side salt): like a missing lookup file, a
# query using them cannot run offline.  ipLocation(), asn() and ioc:lookup()
# run with the user's own data (above).
_EXTERNAL = {"rdns", "worldMap"}
_EXTERNAL |= {"hashMatch", "hashRewrite"}  # issue 18: the salt is a server-side secret
for _name, _why in _UNSUPPORTED.items():
    _CATALOGUE.append(FunctionSpec(_name, "stage", unsupported=_why, external=_name in _EXTERNAL))

CATALOGUE: dict[str, FunctionSpec] = {spec.name.lower(): spec for spec in _CATALOGUE}


def lookup(name: str) -> FunctionSpec | None:
    """The spec of a function by any letter case of its name."""
    return CATALOGUE.get(name.lower())
