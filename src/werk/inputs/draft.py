"""A draft mapping from an SPSS file's own labels: ``werk mapping draft FILE.sav``.

The real WERKonderzoek file names its variables as CBS does, not as the codebook does, and the article prints
neither. But an SPSS file carries a label for every variable and for every coded value, in Dutch. This module
matches those labels against the codebook's Dutch wording (:data:`werk.core.codebook.VARIABLES` and the items
of :data:`werk.core.codebook.ITEMS`), fuzzily, and writes a mapping in the form of
``data/mapping.example.yml``:

* ``rename``: the file variable whose label (or name) resembles a codebook variable's wording most, each file
  variable used once, best matches first;
* ``scales``: per scale, the file variables that match its items, with the codebook's reverse-keyed items;
* ``missing``: the codes whose value label says "no answer" (weet niet, geen antwoord, n.v.t., ...);
* ``recode``: for a coded variable, each file code to the codebook code whose label its value label matches.

An item whose value labels run from agreement to disagreement (1 "helemaal mee eens" ... 5 "helemaal mee
oneens") is coded against the codebook's items, which run from 1 disagree to 5 agree: it is proposed under
``reverse`` (unless the codebook's item is itself reverse-keyed: then the two cancel, and the draft says so).
The wording of a question is not used as a sign of reverse keying: the codebook's own reverse-keyed items say
"moeilijk" or "laat ... over aan" as often as "niet", and "niet" and "geen" occur as well in statements that
are not reversed ("ik maak me geen zorgen over mijn werk"), so it would be a guess with no evidence behind it.

Every proposal is a guess and is marked ``GUESS`` in a comment that shows the labels it rests on; what is not
found is listed as ``NOT FOUND``, for the analyst to add. ``werk validate FILE --mapping DRAFT`` then checks
the result as for any mapping.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from werk.core import codebook
from werk.core.errors import DataError
from werk.inputs.data import check_file

__all__ = ["Proposal", "propose", "draft", "MATCH", "MISSING_WORDS"]

#: The least similarity (0-1) at which a label is proposed as a match at all.
MATCH = 0.5
#: Words of a value label that mean "no answer": such a code is proposed as a missing code.
MISSING_WORDS = re.compile(r"weet (ik )?niet|geen antwoord|niet van toepassing|n\.?v\.?t|onbekend|"
                           r"wil (ik )?niet|weigert|geen opgave|niet ingevuld|missing", re.I)

#: A value label of agreement ("mee eens", "akkoord"), and one of disagreement ("mee oneens", "niet akkoord").
AGREE = re.compile(r"(?<!on)eens\b|(?<!niet )akkoord|(?<!dis)agree", re.I)
DISAGREE = re.compile(r"oneens|niet akkoord|disagree", re.I)

_STOP = {"de", "het", "een", "in", "van", "uw", "u", "voor", "en", "of", "aan", "op", "te", "zich", "om",
         "met", "bij", "die", "dat", "is", "zijn", "mijn", "ik", "hoeverre", "zoals", "the", "a", "per", "to",
         "mij", "me", "er", "als", "ook", "over", "naar", "niet"}


@dataclass
class Proposal:
    """One guess: the file's variable, what it is proposed as, and why."""

    column: str
    target: str
    score: float
    label: str


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-zà-ÿ0-9]+", str(text).lower()) if w not in _STOP]


def similarity(a: str, b: str) -> float:
    """How alike two labels are (0-1): the better of the character similarity of their content words and the
    share of one's content words (or their first five letters) found in the other."""
    wa, wb = _words(a), _words(b)
    if not wa or not wb:
        return 0.0
    ratio = difflib.SequenceMatcher(None, " ".join(wa), " ".join(wb)).ratio()
    stems_a, stems_b = {w[:5] for w in wa}, {w[:5] for w in wb}
    shared = len(stems_a & stems_b) / min(len(stems_a), len(stems_b))
    return max(ratio, shared * min(1.0, (len(stems_a & stems_b) + 1) / 3) if shared else 0.0)


def _targets() -> dict[str, list[str]]:
    """What each codebook variable and item may be called: Dutch wording, English label, name."""
    out = {}
    for v in codebook.VARIABLES.values():
        out[v.name] = [v.nl, v.en, v.name.replace("_", " ")]
    for item in codebook.ITEMS.values():
        out[item.name] = [item.nl]
    return out


def _read_meta(path: Path):
    import pyreadstat

    path = check_file(path)
    with path.open("rb") as fh:
        if fh.read(4) not in (b"$FL2", b"$FL3"):
            raise DataError(f"{path}: not an SPSS .sav file (it does not start with the SPSS signature); "
                            "a draft needs the variable and value labels of a .sav")
    try:
        _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    except Exception as exc:  # pyreadstat.ReadstatError and friends
        raise DataError(f"{path}: cannot be read as SPSS .sav (corrupt or truncated?): {exc}") from None
    return meta


def propose(columns: list[str], labels: dict[str, str]) -> dict[str, Proposal]:
    """Codebook name -> the file column proposed for it, each column used once, best matches first."""
    targets = _targets()
    scored = []
    for col in columns:
        text = labels.get(col) or col
        for name, wordings in targets.items():
            s = max(max(similarity(text, w) for w in wordings), similarity(col, name.replace("_", " ")))
            if s >= MATCH:
                scored.append((s, col, name, text))
    scored.sort(key=lambda t: (-t[0], t[1], t[2]))
    taken, out = set(), {}
    for s, col, name, text in scored:
        if col in taken or name in out:
            continue
        taken.add(col)
        out[name] = Proposal(col, name, s, text)
    return out


def _value_plan(name: str, value_labels: dict) -> tuple[dict, list, list[str]]:
    """(recode {file code: codebook code}, missing codes, comments) from a variable's value labels."""
    v = codebook.VARIABLES.get(name)
    recode, missing, notes = {}, [], []
    for code, text in sorted(value_labels.items()):
        code = int(code) if float(code).is_integer() else float(code)
        if MISSING_WORDS.search(str(text)):
            missing.append(code)
            notes.append(f"{code} {text!r} means no answer")
            continue
        if v is None or not v.codes:
            continue
        def alike(c, text=text):  # ties ('in grote mate' within 'in zeer grote mate') go to the closer text
            nl, en = v.codes[c]
            exact = str(text).strip().lower() in (nl, en)
            close = difflib.SequenceMatcher(None, str(text).strip().lower(), nl).ratio()
            return (max(similarity(text, nl), similarity(text, en), float(exact)), exact, close)

        best = max(v.codes, key=alike)
        if alike(best)[0] >= MATCH:
            recode[code] = (best, f"{text!r} -> {best} {v.codes[best][0]}")
        else:
            notes.append(f"NOT FOUND: {code} {text!r} resembles no code of {name}; recode it by hand")
    return recode, missing, notes


def agreement_direction(value_labels: dict) -> tuple[str, str] | None:
    """How an item's value labels run, if they say: ("down", why) when the codes of agreement lie below
    those of disagreement (1 = agree: against the codebook's items), ("up", why) the other way round, else
    None. A label that says both ("niet eens, niet oneens") or means no answer says neither."""
    agree, disagree = {}, {}
    for code, text in value_labels.items():
        text = str(text)
        if MISSING_WORDS.search(text):
            continue
        a, d = bool(AGREE.search(text)), bool(DISAGREE.search(text))
        if a != d:
            (agree if a else disagree)[float(code)] = text
    if not agree or not disagree or max(agree) > min(disagree) and min(agree) < max(disagree):
        return None
    lo_a, hi_d = min(agree), max(disagree)
    if max(agree) < min(disagree):
        return "down", f"{lo_a:g} {agree[lo_a]!r} ... {hi_d:g} {disagree[hi_d]!r}"
    lo_d, hi_a = min(disagree), max(agree)
    return "up", f"{lo_d:g} {disagree[lo_d]!r} ... {hi_a:g} {agree[hi_a]!r}"


def draft(path: str | Path) -> str:
    """The draft mapping of an SPSS file, as YAML text with a comment on every guess (see the module)."""
    path = Path(path)
    meta = _read_meta(path)
    columns = list(meta.column_names)
    labels = {c: (lab or "") for c, lab in zip(columns, meta.column_labels or [None] * len(columns))}
    value_labels = meta.variable_value_labels or {}
    found = propose(columns, labels)

    def why(p: Proposal) -> str:
        return f"GUESS: {p.label!r} (match {p.score:.2f})"

    lines = [
        f"# Draft mapping of {path.name} onto the codebook, written by `werk mapping draft` from the file's",
        "# own variable and value labels. Every line marked GUESS is a guess: check it against the file's",
        "# documentation, correct it, and delete the mark. NOT FOUND lists what is left to add by hand.",
        f"# Then check it: werk validate {path.name} --mapping <this file> --report",
        "",
        "rename:",
    ]
    scales = {}
    for scale in codebook.SCALES:
        items = [found[i] for i in codebook.scale_items(scale) if i in found]
        if len(items) >= 2:
            scales[scale] = items
    missing_names = []
    width = max((len(p.column) for p in found.values()), default=8) + 1
    for name, v in codebook.VARIABLES.items():
        if name in scales:
            continue
        p = found.get(name)
        if p is None:
            if v.required:
                missing_names.append(name)
            continue
        lines.append(f"  {p.column + ':':<{width}} {name:<22} # {why(p)}")
    for name in missing_names:
        lines.append(f"  # NOT FOUND: {name} ({codebook.VARIABLES[name].nl[:60]!r}); add 'FILE_NAME: {name}'")

    missing_lines, recode_lines = [], []
    used = {found[name].column: name for name in codebook.VARIABLES if name in found and name not in scales}
    used.update({p.column: p.column for items in scales.values() for p in items})
    for col, target in used.items():
        recode, missing, notes = _value_plan(target, value_labels.get(col, {}))
        if missing:
            said = "; ".join(n for n in notes if "no answer" in n)
            missing_lines.append(f"  {target}: {sorted(missing)}  # GUESS: {said}")
        if recode and any(k != c for k, (c, _) in recode.items()):
            recode_lines.append(f"  {target}:")
            recode_lines += [f"    {k}: {c}  # GUESS: {text}" for k, (c, text) in recode.items()]
        for n in notes:
            if n.startswith("NOT FOUND"):
                recode_lines.append(f"  # {target}: {n}")
    lines += ["", "missing:"] + (missing_lines or ["  {}  # no value label says 'no answer'"])
    lines += ["", "recode:"] + (recode_lines or ["  {}  # the value labels match the codebook's codes"])
    lines += ["", "scales:"]
    if not scales:
        lines.append("  {}  # no variable labels resemble the items of a scale")
    for scale, items in scales.items():
        reverse, reasons = [], []
        for p in items:
            worded = codebook.ITEMS[p.target].reverse
            runs = agreement_direction(value_labels.get(p.column, {}))
            coded = runs is not None and runs[0] == "down"
            if worded and coded:
                reasons.append(f"    # {p.column}: not reversed: worded against the scale (as {p.target}) "
                               f"and coded from agreement to disagreement ({runs[1]}): the two cancel; check")
            elif worded:
                reverse.append(p.column)
                reasons.append(f"    # {p.column}: worded against the scale (as {p.target} is)")
            elif coded:
                reverse.append(p.column)
                reasons.append(f"    # {p.column}: its value labels run from agreement to disagreement "
                               f"({runs[1]}), against the codebook's 1 disagree ... 5 agree")
        lines.append(f"  {scale}:")
        lines.append(f"    items: [{', '.join(p.column for p in items)}]")
        lines += [f"    # {p.column}: {why(p)} ~ {p.target}" for p in items]
        if reverse:
            lines.append(f"    reverse: [{', '.join(reverse)}]  # GUESS: reverse-keyed, each for the reason "
                         "below; check")
        lines += reasons
        lines.append(f"    min_answered: {codebook.min_answered(len(items))}")
        if len(items) < len(codebook.scale_items(scale)):
            lost = [i for i in codebook.scale_items(scale) if i not in found]
            lines.append(f"    # NOT FOUND: items like {', '.join(repr(codebook.ITEMS[i].nl) for i in lost)}")
    for scale in codebook.SCALES:
        if scale not in scales and scale not in found:
            lines.append(f"  # NOT FOUND: {scale}: neither a score nor two of its items")
    return "\n".join(lines) + "\n"
