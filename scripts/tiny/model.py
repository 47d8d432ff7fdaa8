"""The tiny reasoner's network: a llama (RMSNorm, rotary positions on
adjacent pairs as llama.cpp's LLAMA_ROPE_TYPE_NORM, SwiGLU, no biases),
written so that its weights map one to one onto a llama GGUF."""

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    def __init__(self, vocab, dim=128, layers=3, heads=4, ff=384, ctx=4096, rope_base=10000.0, eps=1e-5):
        self.vocab, self.dim, self.layers, self.heads, self.ff = vocab, dim, layers, heads, ff
        self.ctx, self.rope_base, self.eps = ctx, rope_base, eps

    @property
    def head_dim(self):
        return self.dim // self.heads


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(pos, d, base):
    inv = base ** (-torch.arange(0, d, 2, dtype=torch.float32) / d)
    ang = pos.float()[:, None] * inv[None, :]  # (T, D/2)
    return ang.cos(), ang.sin()


def rope(x, cs):
    """x: (B, H, T, D); pairs (0,1), (2,3)… rotate by pos·base^(-2i/D)."""
    cos, sin = cs
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = torch.stack((x0 * cos - x1 * sin, x0 * sin + x1 * cos), dim=-1)
    return out.flatten(-2)


class Block(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.attn_norm = RMSNorm(c.dim, c.eps)
        self.wq = nn.Linear(c.dim, c.dim, bias=False)
        self.wk = nn.Linear(c.dim, c.dim, bias=False)
        self.wv = nn.Linear(c.dim, c.dim, bias=False)
        self.wo = nn.Linear(c.dim, c.dim, bias=False)
        self.ffn_norm = RMSNorm(c.dim, c.eps)
        self.w_gate = nn.Linear(c.dim, c.ff, bias=False)
        self.w_up = nn.Linear(c.dim, c.ff, bias=False)
        self.w_down = nn.Linear(c.ff, c.dim, bias=False)

    def forward(self, x, cs, cache=None, mask=None):
        B, T, _ = x.shape
        H, D = self.c.heads, self.c.head_dim
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, H, D).transpose(1, 2)
        k = self.wk(h).view(B, T, H, D).transpose(1, 2)
        v = self.wv(h).view(B, T, H, D).transpose(1, 2)
        q, k = rope(q, cs) * (1.0 / math.sqrt(D)), rope(k, cs)
        if cache is not None:
            if cache.get("k") is not None:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        S = k.shape[2]
        q3, k3 = q.reshape(B * H, T, D), k.reshape(B * H, S, D)
        if mask is not None:
            att = torch.baddbmm(mask, q3, k3.transpose(1, 2))
        else:
            att = torch.bmm(q3, k3.transpose(1, 2))
        att = att.softmax(-1)
        o = torch.bmm(att, v.reshape(B * H, S, D)).view(B, H, T, D).transpose(1, 2).reshape(B, T, H * D)
        x = x + self.wo(o)
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class Tiny(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.embed = nn.Embedding(c.vocab, c.dim)
        self.blocks = nn.ModuleList(Block(c) for _ in range(c.layers))
        self.norm = RMSNorm(c.dim, c.eps)
        nn.init.normal_(self.embed.weight, std=0.05)
        for b in self.blocks:
            for lin in (b.wq, b.wk, b.wv, b.w_gate, b.w_up):
                nn.init.normal_(lin.weight, std=0.5 / math.sqrt(c.dim))
            for lin in (b.wo, b.w_down):
                nn.init.normal_(lin.weight, std=0.5 / math.sqrt(c.dim * 2 * c.layers))

    def forward(self, ids, caches=None, pos0=0, hidden=False):
        """ids: (B, T). With caches (a list of dicts, one per block), the
        keys and values are kept for the next call (batch 1 decoding)."""
        B, T = ids.shape
        pos = torch.arange(pos0, pos0 + T)
        x = self.embed(ids)
        total = pos0 + T
        mask = torch.full((T, total), float("-inf")).triu(pos0 + 1) if T > 1 else None
        cs = rope_tables(pos, self.c.head_dim, self.c.rope_base)
        for i, b in enumerate(self.blocks):
            x = b(x, cs, None if caches is None else caches[i], mask)
        x = self.norm(x)
        return x if hidden else x @ self.embed.weight.t()

    def params(self):
        return sum(p.numel() for p in self.parameters())
