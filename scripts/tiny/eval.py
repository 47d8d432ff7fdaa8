#!/usr/bin/python3
"""Quick offline check of a trained checkpoint, before any server: greedy
decoding as rein drives it (a step ends at a blank line; a step budget cuts
after that many steps, writes the budget message and the closing tag, and
the model answers; a step seen three times is a loop and is cut too).

    /usr/bin/python3 scripts/tiny/eval.py CKPT [--n 60] [--budgets 1,2,4,8,0]
"""

import argparse
import os
import random
import re
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from model import Config, Tiny  # noqa: E402


def generate(m, tok, prompt_ids, budget, max_tokens=400):
    """Returns (thinking+answer text, steps, cut reason)."""
    ids = list(prompt_ids)
    caches = [dict() for _ in m.blocks]
    nl2 = tok.ids["\n\n"]
    close = tok.ids[data.CLOSE]
    eos = tok.ids[data.EOS]
    out, step_buf, steps, seen, answering, cut = [], [], 0, {}, False, ""
    pos, feed = 0, ids
    with torch.no_grad():
        while len(out) < max_tokens:
            logits = m(torch.tensor([feed]), caches=caches, pos0=pos)[0, -1]
            pos += len(feed)
            t = int(logits.argmax())
            if t == eos:
                break
            out.append(t)
            feed = [t]
            if answering:
                continue
            if t == close:
                answering = True
                continue
            if t != nl2:
                step_buf.append(t)
                continue
            text = tok.decode(step_buf).strip()
            step_buf = []
            if not text or text == data.OPEN:
                continue
            steps += 1
            key = re.sub(r"[^\w ]", "", text.lower())
            seen[key] = seen.get(key, 0) + 1
            reason = "loop" if seen[key] >= 3 else ("steps" if budget and steps >= budget else "")
            if reason:
                cut = reason
                inj = tok.encode(data.BUDGET_MESSAGES[0].lstrip("\n") + data.CLOSE)
                out.extend(inj)
                feed = inj
                answering = True
    return tok.decode(out), steps, cut


def correct(p, text):
    ans = text.split(data.CLOSE)[-1]
    if p["task"] == "chain":
        if p["answer"] is None:
            return None
        want = data.CONTAINERS[p["lang"]][p["answer"]]
        return re.search(r"\b" + re.escape(want) + r"\b", ans) is not None
    nums = re.findall(r"\d+", ans)
    return bool(nums) and int(nums[-1]) == p["answer"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ckpt")
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--budgets", default="1,2,4,8,0")
    ap.add_argument("--dim", type=int, default=96)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--ff", type=int, default=256)
    ap.add_argument("--show", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(1)
    tokens, scores, types = data.build_vocab()
    tok = data.Tokenizer(tokens, scores, types)
    m = Tiny(Config(len(tokens), a.dim, a.layers, a.heads, a.ff))
    m.load_state_dict(torch.load(a.ckpt))
    m.eval()
    rng = random.Random(99)
    probs = [data.random_problem(rng) for _ in range(a.n)]
    for b in [int(x) for x in a.budgets.split(",")]:
        tally = {}
        loops = 0
        for i, p in enumerate(probs):
            text, steps, cut = generate(m, tok, tok.encode(data.render_prompt(p["prompt"])), b)
            loops += cut == "loop"
            ok = correct(p, text)
            if i < a.show and b == 0:
                print(p["prompt"], "\n", text, "\n", ok, steps, cut, "\n---")
            if ok is None:
                continue
            k = p["task"]
            tally.setdefault(k, [0, 0])
            tally[k][0] += ok
            tally[k][1] += 1
        tot = [sum(v[0] for v in tally.values()), sum(v[1] for v in tally.values())]
        print(f"budget {b or 'none'}: {tot[0]}/{tot[1]} = {tot[0] / max(1, tot[1]):.2f}  " +
              "  ".join(f"{k} {v[0]}/{v[1]}" for k, v in sorted(tally.items())) + f"  loops {loops}", flush=True)


if __name__ == "__main__":
    main()
