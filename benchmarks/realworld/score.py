"""Precision on application code: a findings JSONL joined with the labels.

    python benchmarks/realworld/score.py [$ADVISOR_REALWORLD/findings-current.jsonl] [--unlabelled] [--labels PATH ...]

Labels (labels.csv: project, rule, path, line, verdict, why) key on (project, rule, path,
line): the sources are pinned, so a line names one finding. `--labels PATH` (repeatable) reads
other label files instead, in order, a later file's verdict winning on the same key: a `check
--explain` run is scored with `--labels labels.csv --labels labels-explain.csv` (the verdicts on the
plan findings, and on the measured advice that replaces a static guess). Precision counts only labelled
findings in application code; unlabelled ones are counted apart (label them: `--unlabelled`
lists them). Coverage notes (a rule page's `coverage = true`: what advisor could not see, not a
problem in the code) are counted apart too; their label says whether the note is accurate. A label marked true whose finding no longer appears is a real problem advisor
stopped finding: those are listed, always.
"""

from __future__ import annotations

import argparse
import collections
import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch import cache_dir, load_manifest

LABELS = Path(__file__).resolve().parent / "labels.csv"


def coverage_rules() -> set[str]:
    """The rules whose findings say what advisor could not see (their page: `coverage = true`)."""
    import tomllib

    rules = Path(__file__).resolve().parents[2] / "rules"
    out = set()
    for page in rules.glob("*.md"):
        meta = page.read_text(encoding="utf-8").split("+++")
        if len(meta) >= 3 and tomllib.loads(meta[1]).get("coverage"):
            out.add(tomllib.loads(meta[1])["name"])
    return out


def load_labels(path: Path = LABELS) -> dict[tuple, dict]:
    """(project, rule, path, line) -> the row. A row with a `message` (an optional last column) judges only the
    findings at that line whose message holds that text, keyed (project, rule, path, line, text): one statement a
    loop runs for each of several tables gives a finding per table at one line, each judged apart."""
    labels = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            text = row.pop("message", None) or ""
            if None in row or None in row.values():
                raise SystemExit(f"{path}: not 6 fields (quote a `why` that has commas): {row}")
            verdict = row["verdict"].strip().lower()
            if verdict not in ("true", "false"):
                raise SystemExit(f"{path}: verdict must be true or false: {row}")
            key = (row["project"], row["rule"], row["path"], int(row["line"]))
            labels[(*key, text) if text else key] = row | {"verdict": verdict}
    return labels


def label_of(labels: dict[tuple, dict], f: dict) -> dict | None:
    """The label of one finding: a row naming text its message holds, else the line's row."""
    key = (f["project"], f["rule"], f["path"], f["line"])
    named = (row for k, row in labels.items() if len(k) == 5 and k[:4] == key and k[4] in f["message"])
    return next(named, None) or labels.get(key)


def pct(t: int, n: int) -> str:
    return f"{100 * t / n:5.1f}%" if n else "    -"


def score(findings: list[dict], labels: dict[tuple, dict], show_unlabelled: bool) -> int:
    coverage = coverage_rules()
    notes = [f for f in findings if f["app"] and f["rule"] in coverage]
    app = [f for f in findings if f["app"] and f["rule"] not in coverage]
    keys = {(f["project"], f["rule"], f["path"], f["line"]) for f in app + notes}
    per_rule: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    per_project: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    per_kind: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    per_corpus: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    holdout = {p.name for p in load_manifest()[0] if p.holdout}
    unlabelled = []
    for f in app:
        label = label_of(labels, f)
        bucket = "unlabelled" if label is None else label["verdict"]
        if label is None:
            unlabelled.append(f)
        corpus = "holdout (added after tuning)" if f["project"] in holdout else "tuned on"
        for c in (per_rule[f"{f['kind']}:{f['rule']}"], per_project[f["project"]], per_kind[f["kind"]], per_corpus[corpus]):
            c[bucket] += 1

    def table(title: str, rows: dict[str, collections.Counter]) -> None:
        print(f"\n{title:34} {'app':>5} {'true':>5} {'false':>5} {'unlab':>5}  precision")
        for name, c in sorted(rows.items()):
            n = c["true"] + c["false"]
            print(f"{name:34} {sum(c.values()):5} {c['true']:5} {c['false']:5} {c['unlabelled']:5}  {pct(c['true'], n)}")

    table("rule", per_rule)
    table("project", per_project)
    table("kind", per_kind)
    table("corpus", per_corpus)
    t = sum(c["true"] for c in per_kind.values())
    fl = sum(c["false"] for c in per_kind.values())
    print(f"\noverall: {len(app)} app-code findings, {t + fl} labelled: {t} true, {fl} false, "
          f"precision {pct(t, t + fl).strip()}; {len(unlabelled)} unlabelled")
    said = collections.Counter(
        "unlabelled" if (lab := label_of(labels, f)) is None else lab["verdict"]
        for f in notes
    )
    print(f"coverage notes (what advisor could not see; not counted above): {len(notes)} in application code, "
          f"{said['true']} accurate, {said['false']} not, {said['unlabelled']} unlabelled")
    unlabelled += [f for f in notes if label_of(labels, f) is None]
    ran = {f["project"] for f in findings}  # a run of some projects (--only) loses nothing elsewhere
    texts = {(f["project"], f["rule"], f["path"], f["line"], f["message"]) for f in app + notes}
    lost = [
        k
        for k, v in labels.items()
        if v["verdict"] == "true"
        and k[0] in ran
        and (k not in keys if len(k) == 4 else not any(t[:4] == k[:4] and k[4] in t[4] for t in texts))
    ]
    if lost:
        print(f"\n!!! {len(lost)} findings labelled true are gone (a real problem no longer found):")
        for k in sorted(lost):
            print(f"  {k[0]}: {k[2]}:{k[3]} {k[1]}  ({labels[k]['why']})")
    if show_unlabelled and unlabelled:
        print("\nunlabelled application-code findings:")
        for f in sorted(unlabelled, key=lambda f: (f["project"], f["path"], f["line"], f["rule"])):
            print(f"  {f['project']},{f['rule']},{f['path']},{f['line']}  {f['message'][:160]}")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("findings", nargs="?", default=str(cache_dir() / "findings-current.jsonl"))
    ap.add_argument(
        "--labels",
        action="append",
        metavar="PATH",
        help="a labels file (repeatable; a later file wins on the same key); default labels.csv",
    )
    ap.add_argument("--unlabelled", action="store_true", help="list the unlabelled app-code findings")
    args = ap.parse_args(argv)
    findings = [json.loads(line) for line in Path(args.findings).read_text().splitlines() if line.strip()]
    for f in findings:  # a project of one kind may check the other database too (alerta: PostgreSQL and MongoDB)
        if str(f.get("id", "")).startswith("MGO"):
            f["kind"] = "mongo"
    labels: dict[tuple, dict] = {}
    for path in args.labels or [str(LABELS)]:
        labels |= load_labels(Path(path))
    return score(findings, labels, args.unlabelled)


if __name__ == "__main__":
    sys.exit(main())
