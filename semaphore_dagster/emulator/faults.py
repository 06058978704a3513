"""Fault injection for the emulator: off by default, deterministic from a seed.

A spec is a `;`-separated list of rules, each `kind[:key=value,key=value,...]`:

    429:rate=0.1,retry_after=2; 429:burst=3,retry_after=date; 5xx:status=503,rate=0.05;
    reset:rate=0.02; reset:at=body,once; truncate:rate=0.02; half_json:rate=0.01;
    slow:seconds=3,rate=0.01; trickle:bytes_per_s=2000,rate=0.01;
    repeat_page:endpoint=pipelines.list,page=2; empty_page:endpoint=workflows.list,page=1;
    html:endpoint=projects.list,once; redirect_host:host=127.0.0.1:9999;
    revoke_after=100; latency:ms=50,jitter=10; seed=42

Kinds (what a fired rule does to the request):

* `429`: 429 `Too Many Requests` with `Retry-After`: `retry_after=<seconds>` (default 1), `date` (an HTTP date
  `date_in` seconds ahead, default 2), `none` (no header) or `huge` (86400).
* `5xx`: `status=500|502|503` (default 503) with the body an ingress or backend would send.
* `reset`: the connection is reset (RST): `at=before` (default, nothing sent) or `at=body` (headers and half
  the body sent, then RST).
* `truncate`: `Content-Length` announces the whole body, half is sent, then the connection closes.
* `half_json`: a complete 200 response whose JSON body is cut in half (it does not parse).
* `slow`: sleep `seconds` (default 3) before answering.
* `trickle`: the body is sent at `bytes_per_s` (default 2000).
* `repeat_page`: a style-A list's page `page` (default 2) answers the rows of page `page - 1` under its own
  headers, as when new rows arrived while paging.
* `empty_page`: a style-A list's page `page` answers `[]` under its own headers (the `next` link stays).
* `html`: a 200 `text/html` page from a "proxy" instead of the API's answer.
* `revoke`: 401 `Unauthorized` (the token was revoked). `revoke_after=N` is `revoke:after=N`: the first N
  authenticated requests pass, every later one is refused.
* `redirect`: a `302` (or `status=301|303|307|308`) to the same path on `host=h[:port]` (default: this
  server's own host on port 1) instead of the answer: an API endpoint that redirects.
* `garbage`: every log event's `output` starts with invalid UTF-8 bytes (`\xff\xfe`), a NUL (`\u0000`), a
  lone surrogate (`\ud800`) and an ANSI colour code (`\u001b[31m`): what a build may print.
* `drift`: schema drift in a JSON answer's objects (the list's items, or the document and its object
  values): `field=<name>` with `to=new` (add it, value `value=`, default `"drifted"`), `to=drop` (remove it),
  `to=string` (a number becomes its decimal string) or `to=enum` (the value becomes `value=`, default
  `"DRIFTED_STATE"`).
* `redirect_host`: the self-hosted log redirect (`Location`) and style-A `link` URLs point to `host=h[:port]`
  instead (the credential-leak scenario: a client must not send its token there).

Conditions, valid on every rule: `endpoint=<request-count name>` (fnmatch patterns such as `pipelines.*`
work), `path=<fnmatch pattern of the request path>` (e.g. `*/logs/<job id>`: one job's log), `page=k` (the `page` query parameter, 1 when absent), `after=n` (only after n matching requests),
`count=n` (fire at most n times; `once` is `count=1`), `rate=p` (probability per matching request, seeded) and
`burst=k` (k consecutive firings: alone, the first k matching requests after `after`; with `rate`, each
random hit starts a burst of k). A rule with neither `rate` nor `burst` fires on every matching request.

Top-level items: `latency:ms=N,jitter=M` (every request waits N + uniform(0, M) ms) and `seed=N`.

Determinism: whether rule i fires on its n-th matching request depends only on (seed, i, n), never on thread
timing, so the same request sequence meets the same faults.
"""

import fnmatch
import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field

KINDS = (
    "429",
    "5xx",
    "reset",
    "truncate",
    "half_json",
    "slow",
    "trickle",
    "repeat_page",
    "empty_page",
    "html",
    "revoke",
    "redirect_host",
    "redirect",
    "garbage",
    "drift",
)
# Kinds that answer instead of the route (at most one applies: the first in spec order).
REPLACING = ("revoke", "429", "5xx", "html", "reset_before", "redirect")
COMMON_KEYS = {"endpoint", "path", "page", "after", "count", "once", "rate", "burst"}
KIND_KEYS: dict[str, set[str]] = {
    "429": {"retry_after", "date_in"},
    "5xx": {"status"},
    "reset": {"at"},
    "slow": {"seconds"},
    "trickle": {"bytes_per_s"},
    "redirect_host": {"host"},
    "redirect": {"host", "status"},
    "drift": {"field", "to", "value"},
}


class FaultSpecError(ValueError):
    """A fault spec that does not parse (the message names the bad part and what is allowed)."""


@dataclass(frozen=True)
class FaultRule:
    kind: str
    endpoint: str | None = None
    path: str | None = None
    page: int | None = None
    after: int = 0
    count: int | None = None
    rate: float | None = None
    burst: int | None = None
    params: tuple[tuple[str, str], ...] = ()

    def param(self, key: str, default: str) -> str:
        return dict(self.params).get(key, default)

    def matches(self, endpoint: str, page: int, path: str = "") -> bool:
        if self.endpoint is not None and not fnmatch.fnmatchcase(endpoint, self.endpoint):
            return False
        if self.path is not None and not fnmatch.fnmatchcase(path, self.path):
            return False
        return self.page is None or self.page == page


@dataclass(frozen=True)
class FaultSpec:
    """Parsed fault rules plus global latency and the seed. `FaultSpec()` injects nothing."""

    rules: tuple[FaultRule, ...] = ()
    seed: int = 0
    latency_ms: float = 0.0
    jitter_ms: float = 0.0

    @classmethod
    def parse(cls, text: str | None, seed: int = 0) -> "FaultSpec":
        rules: list[FaultRule] = []
        latency = jitter = 0.0
        for raw in (text or "").split(";"):
            item = raw.strip()
            if not item:
                continue
            if item.startswith("seed="):
                seed = _int(item[5:], "seed")
                continue
            if item.startswith("revoke_after="):
                rules.append(FaultRule("revoke", after=_int(item[13:], "revoke_after")))
                continue
            kind, _, rest = item.partition(":")
            kind = kind.strip()
            params = _params(rest, item)
            if kind == "latency":
                unknown = set(params) - {"ms", "jitter"}
                if unknown:
                    raise FaultSpecError(
                        f"fault {item!r}: unknown key(s) {sorted(unknown)}; latency takes ms, jitter"
                    )
                latency = _float(params.get("ms", "0"), "latency ms")
                jitter = _float(params.get("jitter", "0"), "latency jitter")
                continue
            rules.append(_rule(kind, params, item))
        return cls(tuple(rules), seed, latency, jitter)

    def with_seed(self, seed: int) -> "FaultSpec":
        return FaultSpec(self.rules, seed, self.latency_ms, self.jitter_ms)

    def __bool__(self) -> bool:
        return bool(self.rules) or self.latency_ms > 0 or self.jitter_ms > 0


def _params(rest: str, item: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for part in rest.split(","):
        part = part.strip()
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            if key != "once":
                raise FaultSpecError(f"fault {item!r}: {key!r} needs a value (key=value)")
            params["count"] = "1"
            continue
        params[key.strip()] = value.strip()
    return params


def _rule(kind: str, params: dict[str, str], item: str) -> FaultRule:
    if kind not in KINDS:
        raise FaultSpecError(f"fault {item!r}: unknown kind {kind!r}; use one of {', '.join(KINDS)}, latency")
    allowed = COMMON_KEYS | KIND_KEYS.get(kind, set())
    unknown = set(params) - allowed
    if unknown:
        raise FaultSpecError(
            f"fault {item!r}: unknown key(s) {sorted(unknown)}; {kind} takes {sorted(allowed)}"
        )
    page = _int(params["page"], "page") if "page" in params else None
    if kind == "repeat_page" and page is None:
        page = 2
    if kind == "repeat_page" and page < 2:
        raise FaultSpecError(f"fault {item!r}: repeat_page needs page >= 2 (it serves page - 1)")
    if kind == "redirect_host" and not params.get("host"):
        raise FaultSpecError(f"fault {item!r}: redirect_host needs host=<host[:port]>")
    if kind == "drift" and (
        not params.get("field") or params.get("to") not in ("new", "drop", "string", "enum")
    ):
        raise FaultSpecError(f"fault {item!r}: drift needs field=<name> and to=new|drop|string|enum")
    if kind == "redirect" and params.get("status", "302") not in ("301", "302", "303", "307", "308"):
        raise FaultSpecError(f"fault {item!r}: status must be 301, 302, 303, 307 or 308")
    if kind == "5xx" and params.get("status", "503") not in ("500", "502", "503", "504"):
        raise FaultSpecError(f"fault {item!r}: status must be 500, 502, 503 or 504")
    if kind == "reset" and params.get("at", "before") not in ("before", "body"):
        raise FaultSpecError(f"fault {item!r}: at must be before or body")
    rate = _float(params["rate"], "rate") if "rate" in params else None
    if rate is not None and not 0 <= rate <= 1:
        raise FaultSpecError(f"fault {item!r}: rate must be between 0 and 1")
    specific = tuple(sorted((k, v) for k, v in params.items() if k not in COMMON_KEYS))
    return FaultRule(
        kind=kind,
        endpoint=params.get("endpoint"),
        path=params.get("path"),
        page=page,
        after=_int(params.get("after", "0"), "after"),
        count=_int(params["count"], "count") if "count" in params else None,
        rate=rate,
        burst=_int(params["burst"], "burst") if "burst" in params else None,
        params=specific,
    )


def _int(value: str, name: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise FaultSpecError(f"fault spec: {name} must be an integer, got {value!r}") from None


def _float(value: str, name: str) -> float:
    try:
        return float(value)
    except ValueError:
        raise FaultSpecError(f"fault spec: {name} must be a number, got {value!r}") from None


def _chance(seed: int, rule_index: int, n: int) -> float:
    digest = hashlib.blake2b(f"{seed}:{rule_index}:{n}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass
class FaultPlan:
    """What the server does to one request. Empty (`FaultPlan()`) means: answer normally."""

    replace: FaultRule | None = None  # revoke / 429 / 5xx / html / reset(at=before)
    slow_seconds: float = 0.0
    data_page: int | None = None  # repeat_page
    empty_page: bool = False
    redirect_host: str | None = None
    body: FaultRule | None = None  # truncate / half_json / reset(at=body) / trickle
    fired: list[str] = field(default_factory=list)


@dataclass
class _RuleState:
    seen: int = 0
    fired: int = 0
    burst_left: int = 0


class FaultInjector:
    """The running state of a spec: per-rule counters and the injected-fault counts."""

    def __init__(self, spec: FaultSpec | None) -> None:
        self.spec = spec or FaultSpec()
        self._lock = threading.Lock()
        self._states = [_RuleState() for _ in self.spec.rules]
        self.counts: Counter[str] = Counter()

    def _fires(self, index: int, rule: FaultRule) -> bool:
        state = self._states[index]
        state.seen += 1
        if state.seen <= rule.after or (rule.count is not None and state.fired >= rule.count):
            return False
        if rule.rate is None and rule.burst is None:
            fire = True
        elif rule.rate is None:
            fire = state.seen - rule.after <= (rule.burst or 0)
        elif state.burst_left > 0:
            state.burst_left -= 1
            fire = True
        else:
            fire = _chance(self.spec.seed, index, state.seen) < rule.rate
            if fire:
                state.burst_left = max((rule.burst or 1) - 1, 0)
        if fire:
            state.fired += 1
        return fire

    def plan(self, endpoint: str, page: int, paged: bool, path: str = "") -> FaultPlan:
        """Decide the faults of one authenticated request to `endpoint` (`paged`: a style-A list) at
        `path`."""
        plan = FaultPlan()
        if not self.spec.rules:
            return plan
        with self._lock:
            for index, rule in enumerate(self.spec.rules):
                if not rule.matches(endpoint, page, path):
                    continue
                if rule.kind in ("repeat_page", "empty_page") and not paged:
                    continue
                if not self._fires(index, rule):
                    continue
                label = _label(rule)
                if label in REPLACING:
                    if plan.replace is not None:
                        continue
                    plan.replace = rule
                elif rule.kind == "slow":
                    plan.slow_seconds = max(plan.slow_seconds, float(rule.param("seconds", "3")))
                elif rule.kind == "repeat_page":
                    plan.data_page = page - 1
                elif rule.kind == "empty_page":
                    plan.empty_page = True
                elif rule.kind == "redirect_host":
                    plan.redirect_host = rule.param("host", "")
                elif plan.body is None:
                    plan.body = rule
                else:
                    continue
                plan.fired.append(label)
                self.counts[label] += 1
        return plan

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)

    def reset(self) -> None:
        with self._lock:
            self._states = [_RuleState() for _ in self.spec.rules]
            self.counts.clear()


def _label(rule: FaultRule) -> str:
    """The name a fired rule is counted under in `server.fault_counts`."""
    if rule.kind == "reset":
        return "reset_before" if rule.param("at", "before") == "before" else "reset_body"
    return rule.kind
