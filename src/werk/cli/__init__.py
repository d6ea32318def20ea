"""The werk command: validate, synth, ledger, build.

Each subcommand lives in its own module, which offers ``add_arguments(parser)``
and ``main(args) -> int``. Errors meant for people (:class:`werk.core.errors.WerkError`)
are printed without a traceback and exit with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from werk.core.errors import WerkError

#: subcommand -> (module, one-line help)
COMMANDS = {
    "validate": ("werk.cli.validate", "check a data file against the codebook (exit 0 good, 2 bad)"),
    "synth": ("werk.cli.synth", "generate the synthetic twin, or fit its parameters to a real file"),
    "ledger": ("werk.cli.ledger", "compare every published number with the one computed from the data"),
    "build": ("werk.cli.build", "execute the notebooks with papermill and build the book"),
}


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only the chosen subcommand's module is imported (statsmodels is slow to load)."""
    p = argparse.ArgumentParser(prog="werk", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        if name == command:
            importlib.import_module(module).add_arguments(sp)
        sp.set_defaults(_module=module)
    return p


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    args = parser(command if command in COMMANDS else None).parse_args(argv)
    try:
        return int(importlib.import_module(args._module).main(args) or 0)
    except WerkError as exc:
        print(f"werk {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("werk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
