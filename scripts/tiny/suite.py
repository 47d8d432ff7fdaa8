#!/usr/bin/python3
"""Write the built-in bench suite `tiny` (bench/suites/tiny.yaml): generated
problems of the tiny reasoner's three tasks, half in English and half in
French, each with its check, and a few chains that come back on themselves
(measured, not scored: they have no answer, and the model loops on them).

    /usr/bin/python3 scripts/tiny/suite.py > bench/suites/tiny.yaml
"""

import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402

SEED = 20240601
COUNTS = {"count": 64, "add": 60, "chain": 60, "loop": 16}


def q(s):
    return json.dumps(s, ensure_ascii=False)


def main():
    rng = random.Random(SEED)
    out = [
        "# The tiny suite: problems for rein's learned reasoner (models/tiny), made by",
        "# scripts/tiny/suite.py. Each needs its trace: count a list one item per",
        "# step, add column by column, follow a chain of \"X is in Y\". With no",
        "# --models, `rein bench --suite tiny` runs on rein-tiny/reasoner and creates",
        "# it where it is missing. Chains that come back on themselves (tag loop) have",
        "# no answer: they are measured, not scored.",
        "name: tiny",
        "cases:",
    ]
    for task, n in COUNTS.items():
        for i in range(n):
            lang = "en" if i % 2 == 0 else "fr"
            if task == "count":
                p = data.make_count(rng, lang, n=2 + i % 8)
                check = f"{{number: {p['answer']}}}"
            elif task == "add":
                p = data.make_add(rng, lang, n=[2, 3, 3, 4][(i // 2) % 4])
                check = f"{{number: {p['answer']}}}"
            elif task == "chain":
                p = data.make_chain(rng, lang, hops=2 + (i // 2) % 5)
                word = data.CONTAINERS[lang][p["answer"]].split(" ")[-1]
                check = "{regex: " + q(r"\b" + word + r"\b") + "}"
            else:
                p = data.make_chain(rng, lang, cycle=True)
                check = None
            out.append(f"  - id: {task}-{lang}-{i // 2 + 1:02d}")
            out.append(f"    prompt: {q(p['prompt'])}")
            out.append(f"    tags: [{task}, {lang}]")
            if check:
                out.append(f"    check: {check}")
    print("\n".join(out))


if __name__ == "__main__":
    main()
