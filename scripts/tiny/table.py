#!/usr/bin/python3
"""The model card's tables from a results file of `rein bench --suite tiny`:
accuracy by task and budget; accuracy with the mean thinking tokens (the
answer probes' tokens included, as `rein report` counts them) by task and
budget; the share of runs the loop detector cut, the median steps, and the
resume cost.

    /usr/bin/python3 scripts/tiny/table.py results.jsonl
"""

import json
import statistics
import sys

ORDER = ["steps=1", "steps=2", "steps=4", "steps=8", "none", "agree=2", "confidence=0.9"]


def main():
    rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
    budgets = sorted({r["budget"] for r in rows}, key=lambda b: ORDER.index(b) if b in ORDER else 99)
    tasks = ["count", "add", "chain"]
    cell = {}
    for r in rows:
        task = r["case"].split("-")[0]
        c = cell.setdefault((task, r["budget"]), {"pass": 0, "n": 0, "loop": 0, "runs": 0, "steps": [], "resume": [],
                                                   "tok": [], "settled": 0})
        c["runs"] += 1
        c["settled"] += r.get("cut_reason") == "settled"
        c["loop"] += r.get("cut_reason") == "loop"
        c["steps"].append(r.get("steps", 0))
        m = r.get("metrics") or {}
        c["tok"].append(m.get("thinking_tokens", 0) + m.get("probe_tokens", 0))
        if m.get("resumes"):
            c["resume"].append(m.get("resume_eval_tokens", 0))
        if r.get("check") is not None:
            c["n"] += 1
            c["pass"] += bool(r["check"]["pass"])
    print("| task | " + " | ".join(budgets) + " |")
    print("| --- |" + " --- |" * len(budgets))
    for t in tasks + ["all"]:
        out = []
        for b in budgets:
            ks = [(t, b)] if t != "all" else [(x, b) for x in tasks]
            p = sum(cell.get(k, {}).get("pass", 0) for k in ks)
            n = sum(cell.get(k, {}).get("n", 0) for k in ks)
            out.append(f"{100 * p / n:.0f}% ({p}/{n})" if n else "–")
        print(f"| {t} | " + " | ".join(out) + " |")
    print()
    print("| task | " + " | ".join(budgets) + " |")
    print("| --- |" + " --- |" * len(budgets))
    for t in tasks + ["all"]:
        out = []
        for b in budgets:
            ks = [(t, b)] if t != "all" else [(x, b) for x in tasks]
            p = sum(cell.get(k, {}).get("pass", 0) for k in ks)
            n = sum(cell.get(k, {}).get("n", 0) for k in ks)
            tok = [x for k in ks for x in cell.get(k, {}).get("tok", [])]
            out.append(f"{100 * p / n:.0f}% · {sum(tok) / len(tok):.1f}" if n else "–")
        print(f"| {t} | " + " | ".join(out) + " |")
    print()
    for b in budgets:
        runs = sum(c["runs"] for (t, bb), c in cell.items() if bb == b)
        loops = sum(c["loop"] for (t, bb), c in cell.items() if bb == b)
        steps = [s for (t, bb), c in cell.items() if bb == b for s in c["steps"]]
        res = [s for (t, bb), c in cell.items() if bb == b for s in c["resume"]]
        lp = cell.get(("loop", b), {"loop": 0, "runs": 0})
        settled = sum(c["settled"] for (t, bb), c in cell.items() if bb == b)
        print(f"{b}: {runs} runs, {settled} cut as settled, {loops} cut by the loop detector ({100 * loops / runs:.1f}%; "
              f"{lp['loop']}/{lp['runs']} of the looping chains), median steps {statistics.median(steps):g}"
              + (f", resume evaluated {statistics.median(res):g} tokens (median of {len(res)})" if res else ""))


if __name__ == "__main__":
    main()
