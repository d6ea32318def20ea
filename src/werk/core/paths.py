"""Project paths, derived from this file's location (never from the working directory)."""

from pathlib import Path

#: The installed ``werk`` package (``src/werk``): what the execution cache hashes.
PACKAGE = Path(__file__).resolve().parents[1]
ROOT = PACKAGE.parents[1]
DATA = ROOT / "data"
NOTEBOOKS = ROOT / "notebooks"
BUILD = ROOT / "_build"
#: The default data: the synthetic twin, as `werk synth` writes it.
TWIN = DATA / "twin.csv"
PUBLISHED = DATA / "published.yml"
