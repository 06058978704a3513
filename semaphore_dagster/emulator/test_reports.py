"""Test results as Semaphore's `test-results` CLI publishes them, generated lazily per job (never stored).

Each project has a stable test catalog per test job template (RSpec shards, Jest, Cucumber, API contract, the
nightly suite), so the same test keeps its id across runs, as the CLI's UUIDv3 ids do
(docs/api-behaviours.md, "Test results"). A job's report follows from its result: a PASSED job passed every
test that is not skipped or disabled; a FAILED job failed its template's flaky test when it has one (so the
re-run of the same commit, which passes, flips it) and otherwise one or two real failures. Some tests are slow,
some always skipped, a few disabled; failure messages are sometimes long stack traces (size caps).

A job reused from an earlier pipeline (`Job.source_job_id`, partial re-runs) has no artifacts of its own: its
report lives in the source job's scope.
"""

import gzip
import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime

from semaphore_dagster.emulator.model import Job, to_s

NIL = uuid.UUID(int=0)
JUNIT = "test-results/junit.json"
SUMMARY = "test-results/summary.json"
RAW_XML = "test-results/junit.xml"

# job template name prefix -> the CLI parser names of its reports (several inputs: several testResults)
FRAMEWORKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("RSpec", ("rspec",)),
    ("Jest", ("mocha",)),
    ("Cucumber", ("generic",)),
    ("API contract", ("golang",)),
    ("Full test suite", ("exunit", "golang")),
    # linters and scanners that write JUnit too (rubocop's and eslint's junit formatters, trivy's template)
    ("Rubocop", ("generic",)),
    ("ESLint", ("generic",)),
    ("Trivy", ("generic",)),
)
_MODULES = ("billing", "accounts", "search", "checkout", "auth", "reports", "api", "queue", "mailer", "cache")
_VERBS = ("creates", "updates", "rejects", "lists", "retries", "renders", "charges", "expires", "validates")
_OBJECTS = ("an invoice", "a user", "the session", "a refund", "the webhook", "a token", "the cart", "a job")


def frameworks_for(job_name: str) -> tuple[str, ...]:
    return next((fw for prefix, fw in FRAMEWORKS if job_name.startswith(prefix)), ())


@dataclass(frozen=True, slots=True)
class CatalogTest:
    id: str
    suite: str
    name: str
    classname: str
    file: str
    package: str
    seconds: float  # typical duration
    fixed_state: str  # "" (runs), "skipped" or "disabled"
    flaky: bool
    long_failure: bool  # its failure message is a long stack trace


@dataclass(frozen=True, slots=True)
class CatalogResults:
    id: str
    name: str
    framework: str
    suites: tuple[tuple[str, str], ...]  # (suite id, suite name)
    tests: tuple[CatalogTest, ...]


def _v3(namespace: uuid.UUID, name: str) -> str:
    return str(uuid.uuid3(namespace, name))


def _catalog(seed: int, project_id: str, template: str) -> tuple[CatalogResults, ...]:
    """The stable tests of one job template in one project (ids as the CLI computes them)."""
    rng = random.Random(f"{seed}:tests:{project_id}:{template}")
    shard = template.split(" ")[-1] if "/" in template else ""
    out = []
    flaky_left = 1 if rng.random() < 0.8 else 0
    for framework in frameworks_for(template):
        name = f"{framework.title()} Suite"
        results_id = _v3(NIL, name + framework)
        suites, tests = [], []
        for s in range(rng.randint(2, 4)):
            module = rng.choice(_MODULES)
            suite_name = f"{module.title()}{'Spec' if framework == 'rspec' else 'Test'} {shard}{s}".strip()
            suite_id = _v3(uuid.UUID(results_id), suite_name)
            suites.append((suite_id, suite_name))
            ext = {"rspec": "_spec.rb", "mocha": ".test.js", "golang": "_test.go", "exunit": "_test.exs"}
            file = f"{'spec' if framework == 'rspec' else 'test'}/{module}/{module}_{s}{ext.get(framework, '.feature')}"
            classname = f"{module}.{suite_name.split(' ')[0]}"
            for _ in range(rng.randint(3, 8)):
                test_name = f"{rng.choice(_VERBS)} {rng.choice(_OBJECTS)} #{rng.randint(1, 999)}"
                r = rng.random()
                fixed = "skipped" if r < 0.06 else "disabled" if r < 0.075 else ""
                slow = rng.random() < 0.05
                seconds = rng.uniform(8, 40) if slow else rng.lognormvariate(-1.2, 1.0)
                flaky = not fixed and flaky_left > 0 and rng.random() < 0.3
                flaky_left -= flaky
                key = (
                    f".{test_name}.{classname}.{module}.{file}"  # "<id>.<name>.<classname>.<package>.<file>"
                )
                tests.append(
                    CatalogTest(
                        _v3(uuid.UUID(suite_id), key),
                        suite_id,
                        test_name,
                        classname,
                        file,
                        module,
                        seconds,
                        fixed,
                        flaky,
                        rng.random() < 0.15,
                    )
                )
        out.append(CatalogResults(results_id, name, framework, tuple(suites), tuple(tests)))
    return tuple(out)


def catalog(world, project_id: str, template: str) -> tuple[CatalogResults, ...]:
    key = ("tests", project_id, template)
    hit = world._static.get(key)
    if hit is None:
        hit = world._static[key] = _catalog(world.config.seed, project_id, template)
    return hit


def publishes(job: Job) -> bool:
    """A test job that ran to the end (passed or failed) published its report; stopped ones did not."""
    return (
        job.state == "FINISHED"
        and job.result in ("PASSED", "FAILED")
        and job.log is not None
        and bool(frameworks_for(job.name))
        and not job.source_job_id
    )


def compressed(job: Job) -> bool:
    """Most jobs publish gzip bytes under `.json` (the CLI's default since 2023); one in four runs an older CLI
    or `--no-compress` (plain JSON)."""
    return job.log is None or job.log.seed % 4 != 0


def _summary(tests: list[dict]) -> dict:
    out = {
        "total": len(tests),
        "passed": 0,
        "skipped": 0,
        "error": 0,
        "failed": 0,
        "disabled": 0,
        "duration": 0,
    }
    for t in tests:
        out[
            {"passed": "passed", "failed": "failed", "error": "error", "skipped": "skipped"}.get(
                t["state"], "disabled"
            )
        ] += 1
        out["duration"] += t["duration"]
    return out


def _failure_message(rng: random.Random, test: CatalogTest) -> str:
    head = f"expected {rng.choice(_OBJECTS)} to be valid, got {rng.randint(400, 599)}"
    if not test.long_failure:
        return head
    frames = [f"    at {test.package}/{rng.choice(_MODULES)}.rb:{rng.randint(1, 900)}" for _ in range(160)]
    return head + "\n" + "\n".join(frames)


def report(world, job: Job) -> dict | None:
    """The `Result` document of `test-results/junit.json` for a job that published one, else None (cached
    until the world changes; callers must not mutate it)."""
    if not world.config.test_results or not publishes(job):
        return None
    key = ("report", job.job_id)
    if key not in world._cache:
        world._cache[key] = _report(world, job)
    return world._cache[key]


def _report(world, job: Job) -> dict:
    assert job.log is not None and job.start_time is not None and job.finish_time is not None
    ppl = world.pipelines.get(job.ppl_id)
    wf = world.workflows.get(ppl.wf_id) if ppl else None
    rng = random.Random(job.log.seed ^ 0x7E57)
    results = catalog(world, job.project_id, job.name)
    runnable = [t for r in results for t in r.tests if not t.fixed_state]
    failing: set[str] = set()
    if job.result == "FAILED" and runnable:
        flaky = [t.id for t in runnable if t.flaky]
        failing = set(flaky) if flaky else {rng.choice(runnable).id}
        if not flaky or rng.random() < 0.2:
            failing.add(rng.choice(runnable).id)
    budget = max(1.0, 0.8 * (to_s(job.finish_time) - to_s(job.start_time)))
    typical = sum(t.seconds for t in runnable) or 1.0
    scale = min(1.0, budget / typical)
    env = {
        "projectId": job.project_id,
        "pipelineId": job.ppl_id,
        "workflowId": ppl.wf_id if ppl else "",
        "pipelineStartedAt": str(to_s(job.create_time)),
        "jobName": job.name,
        "jobId": job.job_id,
        "agentType": job.machine_type,
        "agentOsImage": job.os_image,
        "gitRefType": _ref_type(ppl.branch_name if ppl else ""),
        "gitRefName": ppl.branch_name if ppl else "",
        "gitRefSha": wf.commit_sha if wf else "",
    }
    out = []
    for res in results:
        suites = []
        for suite_id, suite_name in res.suites:
            tests = []
            for t in (t for t in res.tests if t.suite == suite_id):
                state = t.fixed_state or ("failed" if t.id in failing else "passed")
                if state == "failed" and rng.random() < 0.25:
                    state = "error"
                seconds = 0.0 if t.fixed_state else t.seconds * scale * rng.uniform(0.8, 1.25)
                problem = None
                if state in ("failed", "error"):
                    problem = {
                        "message": _failure_message(rng, t),
                        "type": "RuntimeError" if state == "error" else "AssertionError",
                        "body": f"Failure/Error: {t.name}\n  env: AWS_SECRET_ACCESS_KEY=<printed by the job>",
                    }
                tests.append(
                    {
                        "id": t.id,
                        "file": t.file,
                        "classname": t.classname,
                        "package": t.package,
                        "name": t.name,
                        "duration": int(round(seconds * 1e9)),
                        "state": state,
                        "failure": problem if state == "failed" else None,
                        "error": problem if state == "error" else None,
                        "systemOut": "",
                        "systemErr": "",
                        "semaphoreEnv": env,
                    }
                )
            tests.sort(key=lambda x: x["id"])
            suites.append(
                {
                    "id": suite_id,
                    "name": suite_name,
                    "isSkipped": False,
                    "isDisabled": False,
                    "timestamp": job.start_time.strftime("%Y-%m-%dT%H:%M:%S"),
                    "hostname": job.agent_name or "semaphore-vm",
                    "package": "",
                    "properties": None,
                    "summary": _summary(tests),
                    "systemOut": "",
                    "systemErr": "",
                    "tests": tests,
                }
            )
        suites.sort(key=lambda x: x["id"])
        all_tests = [t for s in suites for t in s["tests"]]
        out.append(
            {
                "id": res.id,
                "name": res.name,
                "framework": res.framework,
                "isDisabled": False,
                "summary": _summary(all_tests),
                "status": "success",
                "statusMessage": "",
                "suites": suites,
            }
        )
    return {"testResults": out}


def _ref_type(branch: str) -> str:
    if branch.startswith("refs/tags/"):
        return "tag"
    return "pull-request" if branch.startswith("pull-request-") else "branch"


def encode(document: object, gzipped: bool) -> bytes:
    """Go `encoding/json` bytes (compact), gzip-compressed under the `.json` name unless `--no-compress`."""
    raw = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return (
        gzip.compress(raw, compresslevel=1, mtime=0) if gzipped else raw
    )  # fastest: only the framing matters


# --- the artifact store: scopes, paths, bytes -------------------------------------------------------------


def junit_bytes(world, job: Job) -> bytes | None:
    """The stored bytes of a job's `test-results/junit.json` (None: it published none)."""
    doc = report(world, job)
    if doc is None:
        return None
    key = ("junit", job.job_id)
    if key not in world._cache:
        world._cache[key] = encode(doc, compressed(job))
    return world._cache[key]


def _job_files(world, job: Job) -> dict[str, bytes]:
    doc = report(world, job)
    if doc is None:
        return {}
    gz = compressed(job)
    summary = _summary([t for r in doc["testResults"] for s in r["suites"] for t in s["tests"]])
    return {
        JUNIT: junit_bytes(world, job),
        SUMMARY: encode(summary, gz),
        RAW_XML: _xml(doc).encode(),
        "agent/job_logs.txt.gz": gzip.compress(b"(job log archive)\n", mtime=0),
    }


def _xml(doc: dict) -> str:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>', "<testsuites>"]
    for res in doc["testResults"]:
        for suite in res["suites"]:
            parts.append(f'<testsuite name="{suite["name"]}" tests="{suite["summary"]["total"]}">')
            for t in suite["tests"]:
                parts.append(
                    f'<testcase name="{_esc(t["name"])}" classname="{t["classname"]}" file="{t["file"]}"/>'
                )
            parts.append("</testsuite>")
    parts.append("</testsuites>")
    return "\n".join(parts)


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")


def scope_files(world, scope: str, scope_id: str) -> dict[str, bytes] | None:
    """Every artifact of a scope (path -> bytes), or None when the scope's entity is unknown."""
    if scope == "jobs":
        job = world.jobs.get(scope_id)
        return (
            None if job is None else _cached(world, ("artifacts", scope_id), lambda: _job_files(world, job))
        )
    if scope == "workflows":
        if scope_id not in world.workflows:
            return None

        def build() -> dict[str, bytes]:
            files: dict[str, bytes] = {}
            for ppl in world.pipelines.values():
                if ppl.wf_id != scope_id:
                    continue
                for job in ppl.jobs():
                    junit = scope_files(world, "jobs", job.job_id) or {}
                    if JUNIT in junit:
                        files[f"test-results/{ppl.ppl_id}/{job.job_id}.json"] = junit[JUNIT]
            return files

        return _cached(world, ("artifacts", scope_id), build)
    if scope == "projects":
        return None if world.project(scope_id) is None else {}
    return None


def _cached(world, key: tuple, build) -> dict[str, bytes]:
    """Artifacts are immutable once the job finished: cached until the world changes (live mode)."""
    hit = world._cache.get(key)
    if hit is None:
        hit = world._cache[key] = build()
    return hit


def list_dir(files: dict[str, bytes], path: str) -> list[dict] | None:
    """Direct children of `path` (non-recursive, `unwrap_directories: false`); None when nothing is there."""
    prefix = f"{path.strip('/')}/" if path.strip("/") else ""
    children: dict[str, dict] = {}
    for name, data in files.items():
        if not name.startswith(prefix):
            continue
        rest = name[len(prefix) :]
        head = rest.split("/", 1)[0]
        full = prefix + head
        if "/" in rest:
            children.setdefault(full, {"name": head, "path": full, "is_directory": True})
        else:
            children[full] = {"name": head, "path": full, "is_directory": False, "size": len(data)}
    if not children and prefix:
        return None
    return sorted(children.values(), key=lambda c: c["path"])


def flaky_catalog(world, project_id: str) -> list[tuple[str, CatalogTest]]:
    """(job template name, test) of every flaky test of a project."""
    names = sorted(
        {j.name for j in world.jobs.values() if j.project_id == project_id and frameworks_for(j.name)}
    )
    return [(n, t) for n in names for r in catalog(world, project_id, n) for t in r.tests if t.flaky]


def job_finish(job: Job) -> datetime | None:
    return job.finish_time
