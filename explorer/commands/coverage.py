"""``coverage``: how many corpus snippets get an equivalent twin, or, for one snippet, every
construct the twin has no rule for.

The corpus run calls ``explorer.twin.compare`` in this process, not in the sandbox: the corpus
is the project's own code (explorer/twin/corpus), never a user's.
"""
from __future__ import annotations

import argparse
import sys

from explorer.commands import print_json, read_snippet
from explorer.twin import corpus

HELP = ("twin coverage: how many corpus snippets have an equivalent twin, per family (runs the "
        "corpus in this process: it is our own code, not a user's); with SNIPPET, every torch "
        "call in it that has no rule")
CORPUS_PREFIX = "corpus:"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("snippet", nargs="?", metavar="SNIPPET",
                        help="a snippet file, lesson:NAME, corpus:NAME or - for stdin; without "
                             "it, the whole corpus")
    parser.add_argument("--family", help="only the corpus snippets of this family")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def outcome(entry: corpus.Entry, result: dict) -> dict:
    """One corpus snippet's row: what the twin did, and whether that is what it declares."""
    status = result.get("status")
    if status == "ok":
        got = "equivalent" if result["equivalent"] else "not-equivalent"
    else:
        got = status if status in ("no-twin", "crash") else "error"
    declared = got == entry.expect and (got != "no-twin" or (
        result.get("reason") == entry.reason and result.get("line") == entry.line))
    return {"name": entry.name, "family": entry.family, "expect": entry.expect,
            "declared_reason": entry.reason, "outcome": got, "reason": result.get("reason"),
            "line": result.get("line"), "as_declared": declared,
            "message": None if declared and got == "equivalent" else result.get("message")}


def measure(entries: list[corpus.Entry]) -> dict:
    """Run the twin check on every entry: the rows, and counts per family and overall."""
    from explorer.twin import compare  # imports TensorFlow

    rows = []
    for entry in entries:
        try:
            result = compare(entry.code)
        except Exception as exc:  # the check itself broke: a bug of the twin, reported as such
            result = {"status": "crash", "message": f"the twin check crashed: "
                                                    f"{type(exc).__name__}: {exc}"}
        rows.append(outcome(entry, result))
    families: dict[str, dict] = {}
    for row in rows:
        counts = families.setdefault(row["family"], {"snippets": 0, "expect_equivalent": 0,
                                                     "equivalent": 0, "as_declared": 0})
        counts["snippets"] += 1
        counts["expect_equivalent"] += row["expect"] == "equivalent"
        counts["equivalent"] += row["outcome"] == "equivalent"
        counts["as_declared"] += row["as_declared"]
    overall = {key: sum(c[key] for c in families.values())
               for key in ("snippets", "expect_equivalent", "equivalent", "as_declared")}
    return {"families": families, "overall": overall, "snippets": rows}


def print_report(report: dict) -> None:
    print(f"{'family':<13}{'snippets':>9}{'equivalent':>13}{'as declared':>13}")
    for name, c in [*sorted(report["families"].items()), ("overall", report["overall"])]:
        print(f"{name:<13}{c['snippets']:>9}{c['equivalent']:>8}/{c['expect_equivalent']:<4}"
              f"{c['as_declared']:>8}/{c['snippets']:<4}")
    misses = [row for row in report["snippets"] if not row["as_declared"]]
    if misses:
        print(f"\n{len(misses)} not as declared:")
    for row in misses:
        why = f" {row['reason']}" if row["reason"] else ""
        where = f", line {row['line']}" if row["line"] else ""
        wanted = row["expect"] + (f" {row['declared_reason']}" if row["declared_reason"] else "")
        print(f"  {row['name']}: {row['outcome']}{why}{where} (declared {wanted})")
        if row["message"]:
            print(f"      {row['message'].splitlines()[0][:200]}")


def missing_report(code: str) -> dict:
    """Every construct of ``code`` without a rule (pure text: no torch, no TensorFlow)."""
    from explorer.twin.rewrite import missing

    found = missing(code)
    return {"translates": not found, "count": len(found), "missing": [
        {key: value for key, value in n.to_json().items() if key != "status"} for n in found]}


def main(args: argparse.Namespace) -> int:
    if args.snippet is None:
        entries = [e for e in corpus.entries() if args.family in (None, e.family)]
        if not entries:
            raise SystemExit(f"error: no corpus snippets of family {args.family!r}")
        report = measure(entries)
        if args.json:
            print_json(report)
        else:
            print_report(report)
        return 0
    if args.snippet.startswith(CORPUS_PREFIX):
        try:
            code = corpus.get(args.snippet.removeprefix(CORPUS_PREFIX)).code
        except KeyError as err:
            raise SystemExit(f"error: {err.args[0]}") from None
    else:
        code = read_snippet(args.snippet)
    try:
        report = missing_report(code)
    except SyntaxError as err:
        print(f"line {err.lineno}: SyntaxError: {err.msg}", file=sys.stderr)
        return 1
    if args.json:
        print_json(report)
    elif report["translates"]:
        print("every torch call has a rule: the snippet translates")
    else:
        print(f"{report['count']} construct(s) without a rule:")
        for item in report["missing"]:
            print(f"  line {item['line']}: {item['construct']} ({item['reason']})")
    return 0 if report["translates"] else 1
