"""One scenario run: load against an emulator with faults, capture what the user would see, then assert the
six criteria (criteria.py)."""

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from semaphore_dagster.emulator import EmulatorServer
from semaphore_dagster_tests.conftest import TEST_TOKEN

from .conftest import load
from .criteria import Baseline, assert_six_criteria, fault_free


@dataclass
class Scenario:
    """Per-test state: where the DuckDB file and dlt's working dir are, what was captured."""

    duckdb_path: Path
    pipelines_dir: Path
    tmp_root: Path
    caplog: pytest.LogCaptureFixture
    capfd: pytest.CaptureFixture
    errors: list[BaseException] = field(default_factory=list)
    elapsed: float = 0.0

    def baseline(self, load_options: dict[str, Any] | None = None, **knobs: Any) -> Baseline:
        return fault_free(self.tmp_root, load_options, **knobs)

    def load(self, server: EmulatorServer, **options: Any) -> BaseException | None:
        """One load; its wall time adds to `elapsed`; a failure is returned (and kept for the token check)."""
        started = time.monotonic()
        try:
            load(server, self.duckdb_path, self.pipelines_dir, **options)
            error = None
        except Exception as exc:  # the scenario judges it
            error = exc
            self.errors.append(exc)
        self.elapsed += time.monotonic() - started
        return error

    def texts(self) -> list[str]:
        out, err = self.capfd.readouterr()
        texts = [self.caplog.text, out, err]
        for exc in self.errors:
            chain: BaseException | None = exc
            while chain is not None:
                texts += [str(chain), repr(chain)]
                chain = chain.__cause__ or chain.__context__
        return texts

    def check(self, baseline: Baseline, extra_texts: tuple[str, ...] | list[str] = (), **kwargs: Any) -> None:
        texts = [*self.texts(), *extra_texts]
        assert_six_criteria(
            self.duckdb_path, self.pipelines_dir, baseline, elapsed=self.elapsed, texts=texts, **kwargs
        )


@pytest.fixture
def scenario(
    duckdb_path: Path,
    pipelines_dir: Path,
    tmp_path_factory: pytest.TempPathFactory,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture,
) -> Scenario:
    caplog.set_level(logging.DEBUG)
    return Scenario(duckdb_path, pipelines_dir, tmp_path_factory.getbasetemp() / "baselines", caplog, capfd)


def serve(world: Any, **options: Any) -> EmulatorServer:
    options.setdefault("token", TEST_TOKEN)
    return EmulatorServer(world, **options)
