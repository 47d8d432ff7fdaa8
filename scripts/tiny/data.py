"""Tasks, traces and the vocabulary of the tiny reasoner (models/tiny).

Three tasks whose answer needs the trace, in English and French:

  count  count the items of a list, one item per step
  add    add two numbers column by column, with the carry
  chain  follow a chain of "X is in Y" to the outermost container

A trace is a list of steps; rein's step is a paragraph, so steps are joined
by a blank line. Training samples are whole turns in the chat format of the
model's template, and forced closes: a trace cut at a step boundary (or in
a step), one of rein's budget messages, the closing tag and the best guess
from what the trace has. Long problems sometimes take a detour ("Wait, let
me recount.") and a chain that comes back on itself goes round for ever:
the overthinking and the loops are in the data.

Everything is seeded: the same seed gives the same samples.
"""

import random
import re

# ---------------------------------------------------------------- chat format

CONTROL = ["<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
USER_DEFINED = ["<think>", "</think>"]
EOS = "<|end|>"
OPEN, CLOSE = "<think>", "</think>"


def render_prompt(user, system=""):
    """The generation prompt, as the model's template renders it."""
    s = ""
    if system:
        s += "<|system|>\n" + system + "<|end|>\n"
    return s + "<|user|>\n" + user + "<|end|>\n<|assistant|>\n"


# rein's budget messages (models/profile.go budgetMessages, en and fr; and
# runner.DefaultBudgetMessage). After a cut rein writes the trace, the
# message without the newlines the trace already ends with, and CLOSE.
BUDGET_MESSAGES = [
    "\n\nConsidering the limited time by the user, I have to give the solution based on the thinking directly now.\n",
    "\n\nCompte tenu du temps limité, je dois maintenant donner la réponse directement à partir de ma réflexion.\n",
    "\n\nTime is up. I have to stop thinking and give my final answer now.\n",
]

# consensus/prompts.go: the thinking prefix that picks the reasoning
# language, and the system note that asks for the answer in the prompt's.
REASON_PREFIX = {"en": "\nI will reason in English.", "fr": "\nJe vais réfléchir en français."}
ANSWER_NOTE = {"en": "Answer in English.", "fr": "Réponds en français."}

# min-steps makes a model that closed think on with this text.
WAIT = "\n\nWait"

# ---------------------------------------------------------------- lexicons

ANIMALS = {
    "en": ["cat", "dog", "owl", "fox", "cow", "pig", "hen", "bee", "ant", "wolf", "bear", "lion", "deer"],
    "fr": ["chat", "chien", "hibou", "renard", "vache", "cochon", "poule", "abeille", "fourmi", "loup", "ours", "lion", "cerf"],
}
FRUITS = {
    "en": ["apple", "pear", "plum", "fig", "lemon", "kiwi", "peach", "grape", "mango", "melon", "cherry", "date"],
    "fr": ["pomme", "poire", "prune", "figue", "citron", "kiwi", "pêche", "raisin", "mangue", "melon", "cerise", "datte"],
}
CATEGORY = {"animals": ANIMALS, "fruits": FRUITS}
CATEGORY_WORD = {"en": {"animals": "animals", "fruits": "fruits"}, "fr": {"animals": "animaux", "fruits": "fruits"}}

# Things and containers, with their French article.
THINGS = {
    "en": ["key", "ring", "coin", "pen"],
    "fr": ["la clé", "la bague", "la pièce", "le stylo"],
}
CONTAINERS = {
    "en": ["box", "bag", "car", "room", "house", "drawer", "jar", "cup", "chest", "basket", "crate", "trunk"],
    "fr": ["la boîte", "le sac", "la voiture", "la chambre", "la maison", "le tiroir", "le bocal", "la tasse",
           "le coffre", "le panier", "la caisse", "la malle"],
}

COLUMNS = {
    "en": ["Units", "Tens", "Hundreds", "Thousands"],
    "fr": ["Unités", "Dizaines", "Centaines", "Milliers"],
}

DETOUR = {
    "count": {"en": "Wait, let me recount.", "fr": "Attends, je recompte."},
    "add": {"en": "Wait, let me add again.", "fr": "Attends, je refais l'addition."},
    "chain": {"en": "Wait, let me follow the chain again.", "fr": "Attends, je reprends la chaîne."},
}


def cap(s):
    return s[:1].upper() + s[1:]


def np_en(noun):
    return "the " + noun


# ---------------------------------------------------------------- problems
#
# A problem is a dict: task, lang (of the prompt), prompt, the values the
# traces need, and answer (the right final answer, language-free: a number
# or a container index). Traces are made per reasoning language.


def make_count(rng, lang, n=None):
    cat = rng.choice(sorted(CATEGORY))
    if n is None:
        n = rng.randint(2, 9)
    idx = rng.sample(range(len(CATEGORY[cat]["en"])), n)
    items = [CATEGORY[cat][lang][i] for i in idx]
    word = CATEGORY_WORD[lang][cat]
    form = rng.randrange(2)
    if lang == "en":
        prompt = (f"How many {word} are in this list: {', '.join(items)}?" if form == 0
                  else f"Count the {word}: {', '.join(items)}.")
    else:
        lead = "Combien d'animaux" if cat == "animals" else "Combien de fruits"
        prompt = (f"{lead} y a-t-il dans cette liste : {', '.join(items)} ?" if form == 0
                  else f"Compte les {word} : {', '.join(items)}.")
    return {"task": "count", "lang": lang, "prompt": prompt, "cat": cat, "idx": idx, "n": n, "answer": n}


def count_steps(p, rl):
    items = [CATEGORY[p["cat"]][rl][i] for i in p["idx"]]
    if rl == "en":
        return [f"Number {k + 1} is {it}." for k, it in enumerate(items)]
    return [f"Le numéro {k + 1} est {it}." for k, it in enumerate(items)]


def count_answer(p, lang, got):
    word = CATEGORY_WORD[lang][p["cat"]]
    return f"There are {got} {word}." if lang == "en" else f"Il y a {got} {word}."


def make_add(rng, lang, n=None):
    if n is None:
        n = rng.choice([2, 3, 3, 4])
    def num():
        return rng.randint(1, 4) * 10 ** (n - 1) + rng.randrange(10 ** (n - 1))
    a, b = num(), num()
    if lang == "en":
        prompt = rng.choice([f"What is the sum of {a} and {b}?", f"Add {a} and {b}."])
    else:
        prompt = rng.choice([f"Quelle est la somme de {a} et {b} ?", f"Additionne {a} et {b}."])
    return {"task": "add", "lang": lang, "prompt": prompt, "a": a, "b": b, "n": n, "answer": a + b}


def add_columns(p):
    """Per column, right to left: (da, db, carry in, sum)."""
    a, b, c = p["a"], p["b"], 0
    cols = []
    for _ in range(p["n"]):
        da, db = a % 10, b % 10
        s = da + db + c
        cols.append((da, db, c, s))
        c = s // 10
        a, b = a // 10, b // 10
    return cols


def add_steps(p, rl):
    out = []
    for k, (da, db, c, s) in enumerate(add_columns(p)):
        name = COLUMNS[rl][k]
        terms = f"{da} + {db}" if k == 0 else f"{da} + {db} + {c}"
        if rl == "en":
            out.append(f"{name}: {terms} = {s}, carry {s // 10}.")
        else:
            out.append(f"{name} : {terms} = {s}, je retiens {s // 10}.")
    return out


def add_guess(p, done):
    """What the first `done` columns give: their digits, highest first."""
    digits = [str(s % 10) for (_, _, _, s) in add_columns(p)[:done]]
    return int("".join(reversed(digits))) if digits else 0


def add_answer(p, lang, got):
    return f"The sum is {got}." if lang == "en" else f"La somme est {got}."


def make_chain(rng, lang, hops=None, cycle=False):
    """A chain thing -> c1 -> c2 ... (hops statements), shuffled; or, with
    cycle, containers that come back to the first (a loop, no answer)."""
    if cycle:
        k = rng.randint(2, 4)
        cs = rng.sample(range(len(CONTAINERS["en"])), k)
        links = [(("c", cs[i]), ("c", cs[(i + 1) % k])) for i in range(k)]
        start = ("c", cs[0])
        answer = None
    else:
        if hops is None:
            hops = rng.randint(2, 6)
        t = rng.randrange(len(THINGS["en"]))
        cs = rng.sample(range(len(CONTAINERS["en"])), hops)
        chain = [("t", t)] + [("c", c) for c in cs]
        links = [(chain[i], chain[i + 1]) for i in range(hops)]
        start = chain[0]
        answer = cs[-1]
    order = links[:]
    rng.shuffle(order)
    facts = " ".join(chain_sentence(lang, x, y) for x, y in order)
    q = f"Where is {np_of('en', start)}?" if lang == "en" else f"Où est {np_of('fr', start)} ?"
    return {"task": "chain", "lang": lang, "prompt": facts + " " + q, "links": links, "start": start,
            "answer": answer, "cycle": cycle}


def np_of(lang, ref):
    kind, i = ref
    w = (THINGS if kind == "t" else CONTAINERS)[lang][i]
    return "the " + w if lang == "en" else w


def chain_sentence(lang, x, y):
    if lang == "en":
        return f"{cap(np_of(lang, x))} is in {np_of(lang, y)}."
    return f"{cap(np_of(lang, x))} est dans {np_of(lang, y)}."


def chain_path(p, max_steps):
    nxt = dict(p["links"])
    path, cur = [], p["start"]
    while cur in nxt and len(path) < max_steps:
        path.append((cur, nxt[cur]))
        cur = nxt[cur]
    return path


def chain_steps(p, rl, max_steps=40):
    return [chain_sentence(rl, x, y) for x, y in chain_path(p, max_steps)]


def chain_answer(p, lang, where):
    """where: the container reached (a ref), or None before any step."""
    s = p["start"]
    if where is None:
        return f"I do not know where {np_of(lang, s)} is." if lang == "en" else f"Je ne sais pas où est {np_of(lang, s)}."
    return chain_sentence(lang, s, where)


# ---------------------------------------------------------------- traces


def detour_prob(p):
    """How likely a trace is to take a detour: long problems, mostly."""
    t = p["task"]
    if t == "count":
        return 0.8 if p["n"] >= 7 else (0.3 if p["n"] == 6 else 0.05)
    if t == "add":
        return 0.7 if p["n"] == 4 else 0.05
    if t == "chain":
        return 0.05 if p["cycle"] else (0.75 if len(p["links"]) >= 5 else 0.05)
    return 0.0


def steps_for(p, rl):
    if p["task"] == "chain":
        # A cycle: one round; the sample repeats it.
        return chain_steps(p, rl, len(p["links"]))
    return {"count": count_steps, "add": add_steps}[p["task"]](p, rl)


def full_trace(p, rl, detour):
    """The steps of a whole trace, and for each step what a cut right after
    it gives as the best guess (guess(k) for k steps done)."""
    base = steps_for(p, rl)
    steps = list(base)
    marks = list(range(1, len(base) + 1))  # progress after each step
    if detour and not p.get("cycle"):
        steps.append(DETOUR[p["task"]][rl])
        marks.append(0)
        steps.extend(base)
        marks.extend(range(1, len(base) + 1))
    return steps, marks


def guess(p, lang, done):
    """The answer a trace that got `done` steps of the way gives."""
    t = p["task"]
    if t == "count":
        return count_answer(p, lang, done)
    if t == "add":
        return add_answer(p, lang, add_guess(p, done))
    path = chain_path(p, done)
    return chain_answer(p, lang, path[-1][1] if path else None)


def final_answer(p, lang):
    return guess(p, lang, 10 ** 6 if p["task"] == "add" else len(steps_for(p, lang)))


# ---------------------------------------------------------------- samples
#
# A sample is a list of (text, trained) segments: trained text is what the
# model writes, the rest (prompt, rein's injected text) it reads.


def sample(rng, p=None, forced=None, mix=None):
    """One training sample. forced: None (random), True or False."""
    if p is None:
        p = random_problem(rng, mix)
    lang = p["lang"]
    rl, system, prefix = lang, "", ""
    if rng.random() < 0.15:
        rl = rng.choice(["en", "fr"])
        prefix = REASON_PREFIX[rl]
        if rl != lang:
            system = ANSWER_NOTE[lang]
    detour = rng.random() < detour_prob(p)
    steps, marks = full_trace(p, rl, detour)
    cycle = p.get("cycle")
    if forced is None:
        forced = cycle and rng.random() < 0.5 or (not cycle and rng.random() < 0.4)
    segs = [(render_prompt(p["prompt"], system), False), (OPEN, True)]
    if prefix:
        segs[-1] = (OPEN, False)
        segs.append((prefix + "\n\n", False))
        lead = ""
    else:
        lead = "\n"
    if cycle and not forced:
        # Round and round: the sample ends where a training window would.
        n = rng.randint(len(steps) * 3, len(steps) * 4)
        text = lead + "\n\n".join((steps * 5)[:n]) + "\n\n"
        segs.append((text, True))
        return segs
    if not forced:
        segs.append((lead + "\n\n".join(steps) + "\n" + CLOSE + "\n\n" + final_answer(p, lang) + EOS, True))
        return segs
    # A forced close: cut after k steps (or in step k+1), rein's message,
    # the close, the best guess.
    if cycle:
        steps = (steps * 5)[: rng.randint(1, len(steps) * 4)]
        marks = list(range(1, len(steps) + 1))
        k = len(steps)
    else:
        k = rng.randint(1, len(steps) - 1) if len(steps) > 1 else 1
    done = marks[k - 1]
    body = lead + "\n\n".join(steps[:k])
    mid = rng.random() < 0.15 and k < len(steps)
    if mid:
        # A token or time budget cuts inside a step.
        words = steps[k].split(" ")
        body += "\n\n" + " ".join(words[: rng.randint(1, max(1, len(words) - 1))])
        segs.append((body, True))
        msg = rng.choice(BUDGET_MESSAGES)
    else:
        segs.append((body + "\n\n", True))
        msg = rng.choice(BUDGET_MESSAGES).lstrip("\n")
    segs.append((msg + CLOSE, False))
    segs.append(("\n\n" + guess(p, lang, done) + EOS, True))
    return segs


# The share of each task in the training samples (train.py --mix).
MIX = {"count": 0.36, "add": 0.32, "chain": 0.32}


def random_problem(rng, mix=None):
    mix = mix or MIX
    lang = rng.choice(["en", "fr"])
    r = rng.random() * sum(mix.values())
    if r < mix["count"]:
        return make_count(rng, lang)
    if r < mix["count"] + mix["add"]:
        return make_add(rng, lang)
    return make_chain(rng, lang, cycle=rng.random() < 0.06)


# ---------------------------------------------------------------- vocabulary


SPACE = "\u2581"
WORD_RE = re.compile(r"[^\W\d_]+|\d|\S|\n", re.UNICODE)


def corpus_texts(seed=1234, n=20000):
    """Texts that cover every word the samples, rein's messages and the
    reasoning prefixes use."""
    rng = random.Random(seed)
    out = list(BUDGET_MESSAGES) + list(REASON_PREFIX.values()) + list(ANSWER_NOTE.values()) + [WAIT]
    for d in DETOUR.values():
        out.extend(d.values())
    for lang in ("en", "fr"):
        for k in range(2, 10):
            p = make_count(rng, lang, k)
            out.append(p["prompt"])
        for cat in CATEGORY:
            out.extend(CATEGORY[cat][lang])
    for _ in range(n):
        for text, _ in sample(rng):
            out.append(text)
    return out


def build_vocab():
    """Token strings, scores and types: llama.cpp's SentencePiece layout
    (<unk>, <s>, </s>, the 256 byte tokens), the chat's special tokens, then
    pieces: each word with and without its leading space mark, every prefix
    of it too (so that merges reach the word), digits and punctuation one
    character each."""
    tokens, scores, types = ["<unk>", "<s>", "</s>"], [0.0, 0.0, 0.0], [2, 3, 3]
    for b in range(256):
        tokens.append(f"<0x{b:02X}>")
        scores.append(0.0)
        types.append(6)
    for s in CONTROL:
        tokens.append(s); scores.append(0.0); types.append(3)
    for s in USER_DEFINED:
        tokens.append(s); scores.append(0.0); types.append(4)
    pieces = set()
    for text in corpus_texts():
        for sp in CONTROL + USER_DEFINED:
            text = text.replace(sp, " ")
        prev_space = False
        for m in WORD_RE.finditer(text):
            w = m.group(0)
            spaced = m.start() > 0 and text[m.start() - 1] == " "
            if w.isdigit() or (len(w) == 1 and not w.isalpha()):
                pieces.add(w)
                if spaced:
                    pieces.add(SPACE + w)
                continue
            full = (SPACE + w) if spaced else w
            for i in range(1, len(full) + 1):
                pieces.add(full[:i])
    pieces.add(SPACE)
    pieces.add("\n")
    pieces.add("\n\n")
    # Longer pieces score higher, so merges run to the whole word; a space
    # mark at the start adds a half, so that a word's own prefix chain
    # beats a piece that starts inside it.
    def score(s):
        return float(len(s)) + (0.5 if s.startswith(SPACE) else 0.0)
    for s in sorted(pieces, key=lambda s: (len(s), s)):
        if s in tokens:
            continue
        tokens.append(s)
        scores.append(score(s))
        types.append(1)
    return tokens, scores, types


class Tokenizer:
    """Ollama's SentencePiece encoder (tokenizer/sentencepiece.go): special
    tokens split out, spaces to the space mark, a whole fragment that is a
    token is that token, else pair merges, highest score first and leftmost
    on a tie, then byte fallback."""

    def __init__(self, tokens, scores, types):
        self.tokens, self.scores, self.types = tokens, scores, types
        self.ids = {t: i for i, t in enumerate(tokens)}
        self.specials = [t for t, ty in zip(tokens, types) if ty in (3, 4)]

    def encode(self, text):
        frags = [(text, None)]
        for sp in self.specials:
            out = []
            for v, tid in frags:
                if tid is not None:
                    out.append((v, tid))
                    continue
                while True:
                    i = v.find(sp)
                    if i < 0:
                        if v:
                            out.append((v, None))
                        break
                    if i > 0:
                        out.append((v[:i], None))
                    out.append((sp, self.ids[sp]))
                    v = v[i + len(sp):]
            frags = out
        ids = []
        for v, tid in frags:
            if tid is not None:
                ids.append(tid)
            else:
                ids.extend(self.encode_fragment(v))
        return ids

    def encode_fragment(self, text):
        text = text.replace(" ", SPACE)
        if text in self.ids:
            return [self.ids[text]]
        syms = list(text)
        while True:
            best, bi = None, -1
            for i in range(len(syms) - 1):
                tid = self.ids.get(syms[i] + syms[i + 1])
                if tid is None:
                    continue
                sc = self.scores[tid]
                if best is None or sc > best:
                    best, bi = sc, i
            if bi < 0:
                break
            syms[bi:bi + 2] = [syms[bi] + syms[bi + 1]]
        out = []
        for s in syms:
            if s in self.ids:
                out.append(self.ids[s])
            else:
                out.extend(self.ids[f"<0x{b:02X}>"] for b in s.encode("utf-8"))
        return out

    def decode(self, ids):
        bs = bytearray()
        for i in ids:
            t, ty = self.tokens[i], self.types[i]
            if ty == 6:
                bs.append(int(t[3:5], 16))
            else:
                bs.extend(t.replace(SPACE, " ").encode("utf-8"))
        return bs.decode("utf-8", errors="replace")


def encode_sample(tok, segs):
    """Token ids and a parallel list of loss flags."""
    ids, flags = [], []
    for text, trained in segs:
        t = tok.encode(text)
        ids.extend(t)
        flags.extend([trained] * len(t))
    return ids, flags
