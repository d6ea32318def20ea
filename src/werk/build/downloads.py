"""The downloads of a page: CSV files its outputs carry, written beside the staged notebook.

A table or figure of the book carries its numbers as CSV in its output's metadata (key
:data:`werk.book.DOWNLOAD_KEY`: ``{"name": ..., "text": ...}``), holding only what passed the output
check. The page links them with Sphinx's ``{download}`` role (``downloads/<name>``, relative to the
page), so Sphinx copies each into ``_build/html/_downloads/``. Writing them at staging, from the
executed notebook, keeps them in step with the outputs a cached notebook keeps.
"""

from __future__ import annotations

import json
from pathlib import Path

KEY = "werk_download"
FOLDER = "downloads"


def write(nb_path: Path) -> list[Path]:
    """Write every download the notebook's outputs carry into ``<notebook folder>/downloads/``."""
    nb = json.loads(Path(nb_path).read_text(encoding="utf-8"))
    written = []
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            for meta in (output.get("metadata") or {}).values():
                item = meta.get(KEY) if isinstance(meta, dict) else None
                if not item:
                    continue
                name = Path(str(item["name"])).name  # a name, never a path
                folder = Path(nb_path).parent / FOLDER
                folder.mkdir(exist_ok=True)
                (folder / name).write_text(str(item["text"]), encoding="utf-8")
                written.append(folder / name)
    return written
