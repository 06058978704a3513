"""Incremental state of the CI-activity resources, kept in dlt source state.

dlt commits source state in the same load package as the rows (`_dlt_pipeline_state`), so a cursor never
runs ahead of the data it describes: a run killed before its package is loaded leaves the old cursors, and
the next run re-reads from there. Everything below is JSON (dicts of ids to ints/strings) and pruned so its
size follows the `lookback` window, not the history.

Layout (`source_state()["ci"]`):
    projects.<project_id>:
        wf_max          newest workflow created_at (unix s) listed so far
        wf_recent       {wf_id: created_s} for ids within CREATED_OVERLAP of wf_max (dedupe of the overlap)
        ppl_created_max newest pipeline created_at (unix s) listed so far
        ppl_done_max    newest pipeline done_at (unix s) listed so far
        open            {ppl_id: [created_s, fingerprint]}: loaded as not DONE, re-checked every run
        known_done      {ppl_id: [created_s, done_s, fingerprint]}: loaded as DONE (blocks/jobs/logs
                        done); pruned when both its creation and its done time are older than the lookback
    promotions_open     {ppl_id: created_s}: pipelines whose promotions were still PROCESSING
    deploy_seen         {target_id: triggered_us}: newest deployment the promotions resource has looked at

A run committed in slices (ci_activity.py) writes, before its last slice, the state of what is loaded so far:
the pipelines of later slices are left out of `known_done` and the pipeline watermarks keep their old values.
"""

import hashlib
import json
from typing import Any

import dlt

STATE_VERSION = 1


def ci_state() -> dict[str, Any]:
    state = dlt.current.source_state().setdefault("ci", {})
    state.setdefault("version", STATE_VERSION)
    state.setdefault("projects", {})
    state.setdefault("promotions_open", {})
    state.setdefault("deploy_seen", {})
    return state


def replace_ci_state(state: dict[str, Any]) -> None:
    """Make `state` what this load commits (a sliced run writes each slice's state, ci_activity.py)."""
    dlt.current.source_state()["ci"] = state


def project_state(state: dict[str, Any], project_id: str) -> dict[str, Any]:
    st = state["projects"].setdefault(project_id, {})
    st.setdefault("wf_recent", {})
    st.setdefault("open", {})
    st.setdefault("known_done", {})
    return st


def fingerprint(row: dict[str, Any]) -> str:
    """A short digest of a normalised row: an open pipeline listed again unchanged is not re-loaded."""
    text = json.dumps(row, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def prune_recent(recent: dict[str, int], newest: int, overlap_s: int) -> None:
    for key in [k for k, v in recent.items() if v < newest - overlap_s]:
        del recent[key]


def prune_known_done(known: dict[str, list[Any]], floor_s: int, done_floor_s: int) -> None:
    for key in [k for k, entry in known.items() if entry[0] < floor_s and entry[1] < done_floor_s]:
        del known[key]
