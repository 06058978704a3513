"""`semaphore-dagster emulator`: serve a synthetic Semaphore organization on loopback until SIGINT/SIGTERM."""

import argparse
import signal
import sys
import threading
from datetime import UTC, datetime
from ipaddress import ip_address

DEFAULT_PORT = 8765
DEFAULT_TOKEN = "emu-token"


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to bind (loopback unless --allow-remote)"
    )
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (0 = any free port; default {DEFAULT_PORT})"
    )
    parser.add_argument(
        "--seed", type=int, default=7, help="world and fault seed (same seed, same organization)"
    )
    parser.add_argument(
        "--scale", default="small", help="world size: tiny, small, medium, large (default small)"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="added to every response")
    parser.add_argument("--jitter-ms", type=float, default=0.0, help="uniform extra latency, 0..N ms")
    parser.add_argument(
        "--faults", default=None, help='fault spec, e.g. "429:rate=0.1,retry_after=2;reset:rate=0.02"'
    )
    parser.add_argument(
        "--token",
        action="append",
        default=None,
        help=f"accepted API token (repeatable; default {DEFAULT_TOKEN})",
    )
    parser.add_argument(
        "--live", action="store_true", help="time advances: new pipelines appear, running ones finish"
    )
    parser.add_argument(
        "--live-speed",
        type=float,
        default=60.0,
        help="--live: activity multiplier on the wall clock (with --now: simulated seconds per second)",
    )
    parser.add_argument("--now", default=None, help="fixed 'now' as ISO-8601 (default: the wall clock)")
    parser.add_argument(
        "--log-mode", choices=("cloud", "self_hosted"), default="cloud", help="inline logs or 302 redirects"
    )
    parser.add_argument(
        "--link-base",
        default=None,
        help="scheme+host of style-A link URLs (default http://<Host without port>)",
    )
    parser.add_argument(
        "--export-ground-truth", metavar="DIR", default=None, help="write <table>.json ground truth into DIR"
    )
    parser.add_argument("--allow-remote", action="store_true", help="allow binding a non-loopback address")
    # The spec's inferred behaviours (not seen on the wire) are the defaults; these switch them.
    parser.add_argument(
        "--json-content-type",
        action="store_true",
        help="send Content-Type: application/json on plumber/projecthub JSON (default: none, as inferred)",
    )
    parser.add_argument(
        "--feature",
        action="append",
        default=[],
        metavar="NAME=on|off",
        help="an organization feature flag (artifacts_api, superjerry_tests, project_level_secrets, "
        "secrets_exposed_content, secrets_access_policy); repeat for several",
    )
    parser.add_argument(
        "--promotions-without-switch",
        choices=("error", "empty"),
        default="error",
        help="promotions of a pipeline with no switch: a 400 (inferred, default) or []",
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def _parse_now(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--now {value!r} is not ISO-8601: use e.g. 2026-11-01T12:00:00Z") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _parse_features(values: list[str]) -> dict[str, bool]:
    out = {}
    for value in values:
        name, _, state = value.partition("=")
        if not name or state not in ("on", "off"):
            raise ValueError(f"--feature {value!r}: use NAME=on or NAME=off, e.g. secrets_exposed_content=on")
        out[name] = state == "on"
    return out


def run(args: argparse.Namespace) -> int:
    from semaphore_dagster.emulator import EmulatorServer, World, WorldConfig
    from semaphore_dagster.emulator.faults import FaultSpec, FaultSpecError

    if not _is_loopback(args.host) and not args.allow_remote:
        print(
            f"error: --host {args.host} is not a loopback address; pass --allow-remote to bind it",
            file=sys.stderr,
        )
        return 2
    tokens = args.token or [DEFAULT_TOKEN]
    try:
        now = _parse_now(args.now)
        faults = FaultSpec.parse(args.faults, seed=args.seed)
        config = WorldConfig.preset(args.scale, seed=args.seed, now=now)
    except (ValueError, FaultSpecError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    try:
        features = _parse_features(args.feature)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    world = World.generate(config)
    if args.export_ground_truth:
        files = world.export_json(args.export_ground_truth)
        print(f"ground truth: {len(files)} tables written to {args.export_ground_truth}", flush=True)

    server = EmulatorServer(
        world,
        token=tokens,
        host=args.host,
        port=args.port,
        faults=faults,
        latency_ms=args.latency_ms,
        jitter_ms=args.jitter_ms,
        log_mode=args.log_mode,
        live=args.live,
        live_speed=args.live_speed,
        link_base=args.link_base,
        json_content_type=args.json_content_type,
        promotions_without_switch=args.promotions_without_switch,
        features=features,
    )
    try:
        server.start()
    except OSError as exc:
        print(
            f"error: cannot bind {args.host}:{args.port}: {exc.strerror}; try another --port (0 = any)",
            file=sys.stderr,
        )
        return 2

    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    print(_banner(server, world, args, tokens[0]), flush=True)
    try:
        while not done.wait(0.5):
            pass
    finally:
        server.stop()
    print("emulator stopped", flush=True)
    return 0


def _banner(server, world, args: argparse.Namespace, token: str) -> str:  # noqa: ANN001
    api = f"{server.base_url}/api/v1alpha"
    with world.lock:
        projects = world.list_projects()
        first = projects[0] if projects else None
        summary = f"{len(projects)} projects, {len(world.pipelines)} pipelines, {len(world.jobs)} jobs"
        now = world.now().isoformat()
    auth = f'-H "Authorization: Token {token}"'
    lines = [
        f"Semaphore API emulator: organization {world.org_name!r} (scale {args.scale}, seed {args.seed}): {summary}",
        f"  base URL: {server.base_url}",
        f"  API:      {api}",
        f"  token:    {token}",
        f"  now:      {now}{' (live, x' + str(args.live_speed) + ')' if args.live else ''}",
        f"  logs:     {args.log_mode}{'; faults: ' + args.faults if args.faults else ''}",
        f"  artifact store (signed URLs, no Authorization header): {server.store_url}",
        "Try:",
        f"  curl -i {auth} {api}/projects",
    ]
    if first is not None:
        lines += [
            f"  curl -i {auth} '{api}/plumber-workflows?project_id={first.id}'",
            f"  curl -i {auth} '{api}/pipelines?project_id={first.id}&page_size=5'",
            f"  curl -s {auth} '{api}/jobs?states=FINISHED&page_size=3'",
        ]
    lines.append("Stop with Ctrl-C (SIGINT) or SIGTERM.")
    return "\n".join(lines)
