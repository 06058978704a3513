"""Bad configuration: a one-line error that names the key and where to set it, before any request."""

from pathlib import Path

import pytest

from semaphore_dagster.semaphore import ConfigError, semaphore_source
from semaphore_dagster.semaphore.cli import main as load_main
from semaphore_dagster_tests.conftest import TEST_TOKEN, holding_duckdb_lock

from .conftest import assert_one_line_error

BAD = [
    ({"api_token": None}, "API_TOKEN"),
    ({"api_token": ""}, "API_TOKEN"),
    ({"base_url": "not a url"}, "BASE_URL"),
    ({"base_url": "ftp://example.com"}, "BASE_URL"),
    ({"base_url": ""}, "BASE_URL"),
    ({"auth_scheme": "token"}, "AUTH_SCHEME"),
    ({"auth_scheme": "Basic"}, "AUTH_SCHEME"),
    ({"start_date": "2999-01-01"}, "START_DATE"),
    ({"start_date": "yesterday"}, "START_DATE"),
    ({"lookback": "three days"}, "LOOKBACK"),
    ({"max_concurrency": 0}, "MAX_CONCURRENCY"),
]


@pytest.mark.parametrize(("override", "key"), BAD)
def test_bad_config_is_one_line_and_makes_no_request(emulator, override: dict, key: str) -> None:
    options = {"base_url": emulator.base_url, "api_token": TEST_TOKEN, **override}
    with pytest.raises(ConfigError) as error:
        semaphore_source(**options)
    message = str(error.value)
    assert "\n" not in message and key in message and TEST_TOKEN not in message
    assert sum(emulator.request_counts.values()) == 0


def test_missing_token_from_config_names_the_env_var(emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCES__SEMAPHORE__BASE_URL", emulator.base_url)
    with pytest.raises(ConfigError, match="SOURCES__SEMAPHORE__API_TOKEN"):
        semaphore_source()
    monkeypatch.setenv("SOURCES__SEMAPHORE__API_TOKEN", TEST_TOKEN)
    assert "projects" in semaphore_source().resources  # now it resolves from the environment


def test_cli_prints_one_line_errors(emulator, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    db = tmp_path / "cli.duckdb"
    code = load_main(
        ["--base-url", emulator.base_url, "--token-env", "NO_SUCH_VAR_X", "--duckdb-path", str(db)]
    )
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.count("\n") == 0 and "NO_SUCH_VAR_X" in err
    code = load_main(["--base-url", emulator.base_url, "--duckdb-path", str(tmp_path / "semaphore.duckdb")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "same name as the dataset" in err
    assert sum(emulator.request_counts.values()) == 0


def test_cli_destination_unknown(emulator, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("EMU_TOKEN", TEST_TOKEN)
    code = load_main(
        ["--base-url", emulator.base_url, "--token-env", "EMU_TOKEN", "--destination", "nosuchdest"]
    )
    err = assert_one_line_error(capsys.readouterr().err)
    assert code == 1 and "nosuchdest" in err and err.endswith("DESTINATION_TYPE"), err
    assert sum(emulator.request_counts.values()) == 0


def test_cli_load_prints_a_summary(emulator, tmp_path: Path, monkeypatch, capsys) -> None:
    from semaphore_dagster.cli import main as console_main
    from semaphore_dagster_tests.conftest import FIXED_NOW

    monkeypatch.setenv("EMU_TOKEN", TEST_TOKEN)
    monkeypatch.setenv("DESTINATION__DUCKDB__CREDENTIALS", str(tmp_path / "from_env.duckdb"))
    argv = ["load", "--base-url", emulator.base_url, "--token-env", "EMU_TOKEN", "--start-date", "2026-01-01"]
    argv += ["--now", FIXED_NOW.isoformat(), "--pipelines-dir", str(tmp_path / "p")]
    assert console_main(argv) == 0
    out = capsys.readouterr().out
    truth = emulator.world.ground_truth()
    counts = {line.split()[0]: int(line.split()[1]) for line in out.splitlines() if line.endswith(" rows")}
    assert counts["pipelines"] == len(truth["pipelines"]) and counts["jobs"] == len(truth["jobs"])
    assert "requests:" in out and "time:" in out
    assert (tmp_path / "from_env.duckdb").exists()


def test_locked_duckdb_fails_in_one_line_then_converges(
    emulator, tmp_path: Path, monkeypatch, capsys
) -> None:
    import time

    from semaphore_dagster_tests.conftest import FIXED_NOW

    db = tmp_path / "locked.duckdb"
    with holding_duckdb_lock(db):
        monkeypatch.setenv("EMU_TOKEN", TEST_TOKEN)
        argv = ["--base-url", emulator.base_url, "--token-env", "EMU_TOKEN", "--duckdb-path", str(db)]
        argv += [
            "--now",
            FIXED_NOW.isoformat(),
            "--start-date",
            "2026-01-01",
            "--pipelines-dir",
            str(tmp_path / "p"),
        ]
        assert load_main(argv) == 1
        err = assert_one_line_error(capsys.readouterr().err)
        assert "lock" in err.lower(), err
    time.sleep(0.2)
    assert load_main(argv) == 0
    out = capsys.readouterr().out
    assert "pipelines" in out
