"""The werk command: validate, synth, ledger, mapping, build.

Each subcommand lives in its own module, which offers ``add_arguments(parser)``
and ``main(args) -> int``. Errors meant for people (:class:`werk.core.errors.WerkError`)
are printed without a traceback and exit with status 2, and so is a file-system error (``OSError``:
a read-only or full ``_build``, a file that cannot be written), as one line naming the path and the
problem.

The project is the nearest folder at or above the working directory with a ``_config.yml`` next to a
``_toc.yml`` (see :func:`werk.core.paths.root`); ``--root DIR``, before or after the subcommand, names
it instead: it sets ``WERK_ROOT``, which everything the command starts inherits, the build's kernels too.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

from werk.core import paths
from werk.core.errors import WerkError

#: subcommand -> (module, one-line help)
COMMANDS = {
    "validate": ("werk.cli.validate", "check a data file against the codebook (exit 0 good, 2 bad)"),
    "synth": ("werk.cli.synth", "generate the synthetic twin, or fit its parameters to a real file"),
    "ledger": ("werk.cli.ledger", "compare every published number with the one computed from the data"),
    "mapping": ("werk.cli.mapping", "draft a mapping from an SPSS file's own variable and value labels"),
    "build": ("werk.cli.build", "execute the notebooks with papermill and build the book"),
    "translations": ("werk.cli.translations",
                     "update locales/nl from the English book (sphinx-intl) and list what to translate"),
    "serve": ("werk.cli.serve", "serve the book on 127.0.0.1 and rebuild it on every saved change"),
}


ROOT_HELP = ("the project folder (with _config.yml and _toc.yml), passed on to the notebooks' kernels; "
             "default: $WERK_ROOT, else the nearest such folder at or above the working directory, "
             "else the checkout werk is installed from")


def _add_root(p: argparse.ArgumentParser, default) -> None:
    p.add_argument("--root", metavar="DIR", default=default, help=ROOT_HELP)


def parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser; only the chosen subcommand's module is imported (statsmodels is slow to load)."""
    p = argparse.ArgumentParser(prog="werk", description=__doc__.splitlines()[0])
    _add_root(p, None)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (module, help_) in COMMANDS.items():
        sp = sub.add_parser(name, help=help_, description=help_)
        _add_root(sp, argparse.SUPPRESS)  # after the subcommand as well; one given before it stays
        if name == command:
            importlib.import_module(module).add_arguments(sp)
        sp.set_defaults(_module=module)
    return p


def _command(argv: list[str]) -> str | None:
    """The subcommand's name: the first word that is neither an option nor the value of ``--root``."""
    words = iter(argv)
    for a in words:
        if a == "--root":
            next(words, None)
        elif not a.startswith("-"):
            return a
    return None


def use_root(folder: str) -> Path:
    """Make ``folder`` the project root of this process and of every process it starts (``WERK_ROOT``)."""
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise WerkError(f"--root {folder}: no such folder")
    os.environ[paths.ENV] = str(path)
    return path


def os_error(exc: OSError) -> str:
    """One line for a file-system error: the path (or paths) and the operating system's reason."""
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    reason = exc.strerror or str(exc)
    return f"{where}: {reason}" if where else reason


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    command = _command(argv)
    args = parser(command if command in COMMANDS else None).parse_args(argv)
    try:
        if args.root:
            use_root(args.root)
        return int(importlib.import_module(args._module).main(args) or 0)
    except WerkError as exc:
        print(f"werk {args.command}: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:  # the disk, not the code: a read-only or full _build, a folder that is gone
        print(f"werk {args.command}: error: {os_error(exc)}", file=sys.stderr)
        return WerkError.exit_code
    except KeyboardInterrupt:
        print("werk: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
