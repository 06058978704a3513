"""The console script `semaphore-dagster`.

Each sub-command lives in the room that owns it; this module only dispatches, importing lazily so that
`semaphore-dagster emulator` never pays for Dagster's import time.
"""

import argparse
import importlib
import sys

# sub-command -> (module, help). The module provides `configure_parser(parser)` and `run(args) -> int`.
COMMANDS: dict[str, tuple[str, str]] = {
    "emulator": ("semaphore_dagster.emulator.cli", "serve the local Semaphore API emulator"),
    "load": ("semaphore_dagster.semaphore.cli", "load the Semaphore organization into the destination"),
    "demo": ("semaphore_dagster.demo", "run the emulator and the whole Dagster pipeline end to end"),
    "report": ("semaphore_dagster.insights.report", "write the HTML CI-insights report from the DuckDB file"),
}


def build_parser(argv: list[str]) -> tuple[argparse.ArgumentParser, object | None]:
    parser = argparse.ArgumentParser(prog="semaphore-dagster", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = argv[0] if argv and argv[0] in COMMANDS else None
    module = None
    for name, (module_name, help_text) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_text)
        if name == chosen:
            module = importlib.import_module(module_name)
            module.configure_parser(sp)
    return parser, module


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser, module = build_parser(argv)
    args = parser.parse_args(argv)
    if module is None:
        parser.print_help()
        return 2
    return int(module.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
