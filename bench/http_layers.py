"""CPU per GET of each HTTP layer the loader could stand on, side by side in one run (issue 12's request floor).

    uv run python bench/http_layers.py [rounds]

The emulator (`tiny`, 0 ms) runs in its own process; this process times N keep-alive GETs of one small
document through `http.client`, `urllib3`, `requests` (trust_env off) and our `SemaphoreClient` (dlt's
RESTClient on requests, with the deadline adapter, the origin-checked auth, retries and request counts), in
turns, `rounds` times. CPU is this process's (`time.process_time`); the Python calls per GET of our client
are counted once with cProfile (a figure that does not move with the machine's load).
"""

import cProfile
import http.client
import pstats
import sys
import time
from urllib.parse import urlsplit

import requests

from bench.config import TOKEN
from bench.emulator_process import EmulatorProcess
from semaphore_dagster.semaphore.client import SemaphoreClient

N = 2000
PATH = "self_hosted_agent_types"


def main(rounds: int) -> None:
    with EmulatorProcess("tiny", 0) as emu:
        base, url = emu.base_url, urlsplit(emu.base_url)
        full = f"/api/v1alpha/{PATH}"
        headers = {"Authorization": f"Token {TOKEN}"}

        def plain() -> None:
            conn = http.client.HTTPConnection(url.hostname, url.port)
            for _ in range(N):
                conn.request("GET", full, headers=headers)
                conn.getresponse().read()

        def pool() -> None:
            import urllib3

            p = urllib3.HTTPConnectionPool(url.hostname, url.port, maxsize=1)
            for _ in range(N):
                assert p.request("GET", full, headers=headers).data

        def session() -> None:
            s = requests.Session()
            s.trust_env = False
            for _ in range(N):
                assert s.get(base + full, headers=headers).content

        client = SemaphoreClient(base, TOKEN)

        def ours() -> None:
            for _ in range(N):
                client.get_json(PATH)

        profile = cProfile.Profile()
        profile.enable()
        for _ in range(500):
            client.get_json(PATH)
        profile.disable()
        print(f"SemaphoreClient: {pstats.Stats(profile).total_calls / 500:.0f} Python calls per GET")
        for r in range(rounds):
            for name, run in (
                ("http.client", plain),
                ("urllib3", pool),
                ("requests", session),
                ("ours", ours),
            ):
                cpu = time.process_time()
                run()
                print(f"round {r + 1} {name:12s} {1000 * (time.process_time() - cpu) / N:.3f} ms CPU per GET")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
