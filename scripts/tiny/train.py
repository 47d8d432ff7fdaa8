#!/usr/bin/python3
"""Train the tiny reasoner and write its GGUF.

    nice -n 10 /usr/bin/python3 scripts/tiny/train.py --out models/tiny/tiny.gguf

Fixed seed, fixed step count, samples drawn from data.py's generator with
that seed, two CPU threads: a rerun gives the same weights. Needs Debian's
python3-torch and python3-numpy.
"""

import argparse
import ctypes
import json
import math
import os
import random
import sys
import time

# Two threads that spin while they wait for each other are a disaster on a
# busy machine (5.8 s a step instead of 0.5 measured here): OpenMP threads
# sleep instead. Big buffers come from the heap, not from a fresh mmap per
# tensor (page faults were a third of the time).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
try:
    _libc = ctypes.CDLL("libc.so.6")
    _libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
    _libc.mallopt(-1, 1 << 31)  # M_TRIM_THRESHOLD
except OSError:
    pass

import torch  # noqa: E402
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
import gguf  # noqa: E402
from model import Config, Tiny  # noqa: E402

MAX_LEN = 256


POOL = 16  # batches drawn at once and bucketed by length, to cut padding


def batches(rng, tok, n, mix=None):
    """Batches of n samples: a pool of POOL·n samples sorted by length and
    cut into POOL batches, served in a shuffled order."""
    while True:
        pool = []
        for _ in range(POOL * n):
            ids, flags = data.encode_sample(tok, data.sample(rng, mix=mix))
            pool.append((ids[:MAX_LEN], flags[:MAX_LEN]))
        pool.sort(key=lambda s: len(s[0]))
        groups = [pool[i * n:(i + 1) * n] for i in range(POOL)]
        rng.shuffle(groups)
        for g in groups:
            yield collate(g)


def collate(seqs):
    n = len(seqs)
    T = max(len(s[0]) for s in seqs)
    x = torch.zeros((n, T), dtype=torch.long)
    m = torch.zeros((n, T), dtype=torch.bool)
    for i, (ids, flags) in enumerate(seqs):
        x[i, : len(ids)] = torch.tensor(ids)
        m[i, : len(ids)] = torch.tensor(flags)
    return x, m


def loss_of(model, x, m):
    """Cross-entropy on the tokens the model writes (logits only there)."""
    h = model(x[:, :-1], hidden=True)
    mask = m[:, 1:]
    logits = h[mask] @ model.embed.weight.t()
    return F.cross_entropy(logits, x[:, 1:][mask])


def kvs(c, tokens, scores, types, name):
    eos = tokens.index(data.EOS)
    return [
        ("general.architecture", "llama"),
        ("general.name", name),
        ("general.file_type", 0),
        ("general.alignment", gguf.ALIGN),
        ("llama.context_length", c.ctx),
        ("llama.embedding_length", c.dim),
        ("llama.block_count", c.layers),
        ("llama.feed_forward_length", c.ff),
        ("llama.attention.head_count", c.heads),
        ("llama.attention.head_count_kv", c.heads),
        ("llama.attention.layer_norm_rms_epsilon", float(c.eps)),
        ("llama.rope.dimension_count", c.head_dim),
        ("llama.rope.freq_base", float(c.rope_base)),
        ("llama.vocab_size", len(tokens)),
        ("tokenizer.ggml.model", "llama"),
        ("tokenizer.ggml.tokens", tokens),
        ("tokenizer.ggml.scores", [float(s) for s in scores]),
        ("tokenizer.ggml.token_type", ("i32", types)),
        ("tokenizer.ggml.bos_token_id", 1),
        ("tokenizer.ggml.eos_token_id", eos),
        ("tokenizer.ggml.unknown_token_id", 0),
        ("tokenizer.ggml.add_bos_token", False),
        ("tokenizer.ggml.add_eos_token", False),
        ("tokenizer.ggml.add_space_prefix", False),
    ]


def tensors(model):
    sd = {k: v.detach().numpy() for k, v in model.state_dict().items()}
    out = [("token_embd.weight", sd["embed.weight"]), ("output_norm.weight", sd["norm.weight"]),
           ("output.weight", sd["embed.weight"])]
    for i in range(model.c.layers):
        p, q = f"blocks.{i}.", f"blk.{i}."
        for src, dst in [("attn_norm.weight", "attn_norm.weight"), ("wq.weight", "attn_q.weight"),
                         ("wk.weight", "attn_k.weight"), ("wv.weight", "attn_v.weight"),
                         ("wo.weight", "attn_output.weight"), ("ffn_norm.weight", "ffn_norm.weight"),
                         ("w_gate.weight", "ffn_gate.weight"), ("w_up.weight", "ffn_up.weight"),
                         ("w_down.weight", "ffn_down.weight")]:
            out.append((q + dst, sd[p + src]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="models/tiny/tiny.gguf")
    ap.add_argument("--ckpt", default="", help="also save the PyTorch weights here")
    ap.add_argument("--steps", type=int, default=3000)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--dim", type=int, default=96)
    ap.add_argument("--layers", type=int, default=3)
    ap.add_argument("--heads", type=int, default=6)
    ap.add_argument("--ff", type=int, default=256)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--log", default="", help="write the loss curve (JSON lines) here")
    ap.add_argument("--mix", default="", help="task shares, e.g. count=0.25,add=0.35,chain=0.4")
    ap.add_argument("--init", default="", help="start from these PyTorch weights (a stage after the first)")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    tokens, scores, types = data.build_vocab()
    tok = data.Tokenizer(tokens, scores, types)
    c = Config(len(tokens), a.dim, a.layers, a.heads, a.ff)
    model = Tiny(c)
    if a.init:
        model.load_state_dict(torch.load(a.init))
    print(f"vocab {len(tokens)}, {model.params()} parameters, {a.steps} steps of {a.batch}", flush=True)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    keep = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": keep, "weight_decay": 0.0}],
                            lr=a.lr, betas=(0.9, 0.98))
    warm = max(1, a.steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(1.0, s / a.steps)))))
    logf = open(a.log, "w") if a.log else None
    t0 = time.time()
    avg = None
    mix = dict(data.MIX)
    for kv in filter(None, a.mix.split(",")):
        k, v = kv.split("=")
        mix[k] = float(v)
    feed = batches(rng, tok, a.batch, mix)
    for step in range(1, a.steps + 1):
        x, m = next(feed)
        loss = loss_of(model, x, m)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        avg = loss.item() if avg is None else 0.95 * avg + 0.05 * loss.item()
        if step % 50 == 0 or step == a.steps:
            el = time.time() - t0
            print(f"step {step} loss {loss.item():.4f} avg {avg:.4f} lr {sched.get_last_lr()[0]:.2e} {el:.0f}s", flush=True)
            if logf:
                logf.write(json.dumps({"step": step, "loss": round(loss.item(), 5), "avg": round(avg, 5),
                                       "seconds": round(el, 1)}) + "\n")
                logf.flush()
    el = time.time() - t0
    if a.ckpt:
        torch.save(model.state_dict(), a.ckpt)
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    gguf.write(a.out, kvs(c, tokens, scores, types, "rein-tiny-reasoner"), tensors(model))
    print(json.dumps({"params": model.params(), "steps": a.steps, "batch": a.batch, "seconds": round(el),
                      "final_loss": round(avg, 4), "out": a.out}), flush=True)


if __name__ == "__main__":
    main()
