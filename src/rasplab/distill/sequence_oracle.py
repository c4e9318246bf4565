"""A user's transformer as an oracle over token sequences: tokens in id order, an optional BOS
that the program never sees, and what is read off the logits at each position.

`--predict next` gives the most likely next token, `next-set` the set of tokens whose
sigmoid(logit) > 0.5 (as a sorted tuple, in id order), `classes` a class label per position.
Positions that are not compared hold `ANY`: before the `--from` token, and the last position
under `next`/`next-set` (its next token is not in the sequence).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from rasplab.distill.user_models import SequenceModel
from rasplab.errors import ExamplesError, RaspLabError
from rasplab.lang.values import ANY

PREDICT = ("next", "next-set", "classes")


def read_token_list(path: str | Path, what: str) -> list[Any]:
    """A JSON list of tokens (strings or numbers), e.g. `--tokens` or `--classes`."""
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise ExamplesError(f"{what} file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExamplesError(f"{path}: cannot read the {what} file ({exc})") from None
    except json.JSONDecodeError as exc:
        raise ExamplesError(f"{path}: line {exc.lineno}: not JSON ({exc.msg})") from None
    if not isinstance(data, list) or not data:
        raise ExamplesError(f"{path}: the {what} file must be a non-empty JSON list")
    for i, t in enumerate(data):
        if isinstance(t, bool) or not isinstance(t, str | int | float):
            raise ExamplesError(f"{path}: {what} entry {i} is {t!r}; entries are strings or "
                                "numbers")
    if len(set(map(token_key, data))) != len(data):
        raise ExamplesError(f"{path}: the {what} file lists a token twice")
    return data


def read_sequences(path: str | Path, what: str = "prompts") -> list[list[Any]]:
    """JSONL, one JSON list of tokens a line (blank lines ignored)."""
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except FileNotFoundError:
        raise ExamplesError(f"{what} file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExamplesError(f"{path}: cannot read the {what} file ({exc})") from None
    out: list[list[Any]] = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            seq = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ExamplesError(f"{path}:{n}: not JSON ({exc.msg})") from None
        if isinstance(seq, dict) and "input" in seq:
            seq = seq["input"]
        if not isinstance(seq, list) or not seq:
            raise ExamplesError(f"{path}:{n}: expected a non-empty JSON list of tokens")
        out.append(seq)
    if not out:
        raise ExamplesError(f"{path}: no sequences in the {what} file")
    return out


def token_key(t: Any) -> tuple:
    """A token as a dictionary key: 3 and 3.0 are one token, "3" another."""
    return (type(t).__name__ if not isinstance(t, int | float) else "num", t)


@dataclass
class SequenceOracle:
    """What distillation asks a user's transformer: outputs per position, attention, decoding."""

    model: SequenceModel
    tokens: list[Any]  # id order
    predict: str = "next"
    bos: Any = None
    classes: list[Any] | None = None
    from_token: Any = None
    description: str = "model"
    task: str | None = None
    #: program inputs: lengths seen in the prompts (min, max) and tokens to resample from
    min_len: int = 1
    max_len: int | None = None
    vocab: tuple[Any, ...] | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.predict not in PREDICT:
            raise RaspLabError(f"unknown prediction {self.predict!r}; one of {', '.join(PREDICT)}")
        self.ids = {token_key(t): i for i, t in enumerate(self.tokens)}
        if len(self.tokens) != self.model.n_vocab:
            raise ExamplesError(f"the tokens file lists {len(self.tokens)} tokens but the model "
                                f"reads {self.model.n_vocab} token ids")
        if self.bos is not None and token_key(self.bos) not in self.ids:
            raise ExamplesError(f"BOS token {self.bos!r} is not in the tokens file")
        if self.from_token is not None and token_key(self.from_token) not in self.ids:
            raise ExamplesError(f"from_token {self.from_token!r} is not in the tokens file")
        if self.predict == "classes":
            if self.classes is None:
                self.classes = list(range(self.model.n_out))
            if len(self.classes) != self.model.n_out:
                raise ExamplesError(f"the classes file lists {len(self.classes)} classes but the "
                                    f"model has {self.model.n_out} outputs per position")
        elif self.model.n_out < len(self.tokens):
            raise ExamplesError(f"the model has {self.model.n_out} outputs per position, fewer "
                                f"than the {len(self.tokens)} tokens: use --predict classes")
        self.causal = self.model.causal
        self.patterns = self._patterns if self.model is not None else None

    # --- encoding ---------------------------------------------------------------------------
    def token_of(self, t: Any) -> Any:
        """The tokens file's own spelling of `t` (3 and 3.0 are one token)."""
        return self.tokens[self.ids[token_key(t)]]

    def encode(self, seq: Sequence[Any], where: str = "input") -> list[int]:
        ids = [] if self.bos is None else [self.ids[token_key(self.bos)]]
        for i, t in enumerate(seq):
            try:
                ids.append(self.ids[token_key(t)])
            except (KeyError, TypeError):
                raise ExamplesError(f"{where}: token {t!r} at position {i} is not in the model's "
                                    "tokens") from None
        if self.model.context is not None and len(ids) > self.model.context:
            raise ExamplesError(f"{where}: {len(ids)} positions exceed the model's context of "
                                f"{self.model.context}")
        return ids

    def check_length(self, n: int, what: str) -> None:
        """A clear error when inputs of length `n` (without BOS) cannot run on the model."""
        full = n + (self.bos is not None)
        if self.model.context is not None and full > self.model.context:
            raise ExamplesError(f"{what} {n} exceeds the model's context of {self.model.context}"
                                + (" (with the BOS)" if self.bos is not None else ""))

    # --- outputs ----------------------------------------------------------------------------
    def first_compared(self, seq: Sequence[Any]) -> int | None:
        """The first compared position (None: nothing in this sequence is compared)."""
        if self.from_token is None:
            return 0
        key = token_key(self.from_token)
        for i, t in enumerate(seq):
            if token_key(t) == key:
                return i
        return None

    def read(self, logits: np.ndarray) -> list[Any]:
        """Outputs per position from (n, n_out) logits."""
        if self.predict == "next-set":
            on = logits[:, : len(self.tokens)] > 0.0
            return [tuple(self.tokens[i] for i in np.nonzero(row)[0]) for row in on]
        best = logits.argmax(axis=1)
        names = self.classes if self.predict == "classes" else self.tokens
        return [names[i] for i in best.tolist()]

    def raw(self, inputs: Sequence[Sequence[Any]]) -> list[list[Any]]:
        """Outputs at every position of each input (no masking)."""
        ids = [self.encode(x) for x in inputs]
        skip = 0 if self.bos is None else 1
        return [self.read(lg)[skip:] for lg in self.model.logits(ids)]

    def __call__(self, inputs: Sequence[Sequence[Any]]) -> list[list[Any]]:
        """Outputs with `ANY` where a position is not compared."""
        out = []
        for x, y in zip(inputs, self.raw(inputs)):
            first = self.first_compared(x)
            last = len(x) - 1 if self.predict != "classes" else len(x)
            out.append([v if first is not None and first <= i < last else ANY
                        for i, v in enumerate(y)])
        return out

    def _patterns(self, inputs: Sequence[Sequence[Any]]) -> dict[str, list[np.ndarray]]:
        from rasplab.distill.oracle import _split_heads

        raw = self.model.attention([self.encode(x) for x in inputs])
        if self.bos is not None:
            return _split_heads(raw)
        return {f"{name}[{h}]": [a[h] for a in per] for name, per in raw.items()
                for h in range(per[0].shape[0] if per else 0)}

    def attention(self, inputs: Sequence[Sequence[Any]]) -> dict[str, list[np.ndarray]] | None:
        return self._patterns(inputs)

    def can_run(self, n: int) -> bool:
        full = n + (self.bos is not None)
        return self.model.context is None or full <= self.model.context

    @property
    def max_supported_len(self) -> int | None:
        if self.model.context is None:
            return None
        return self.model.context - (self.bos is not None)

    # --- decoding ---------------------------------------------------------------------------
    def continue_greedy(self, prefixes: list[list[Any]], stop: Any, limit: int) -> list[list[Any]]:
        """Each prefix extended by the model's own most likely tokens until `stop` or `limit`
        tokens in all (teacher-forced sequences that stay in the model's format)."""
        seqs = [list(p) for p in prefixes]
        live = [i for i, s in enumerate(seqs) if s and s[-1] != stop]
        while live:
            live = [i for i in live if len(seqs[i]) < limit and self.can_run(len(seqs[i]) + 1)]
            if not live:
                break
            nxt = self._next(seqs, live, greedy=True, rng=None)
            for i, t in zip(live, nxt):
                seqs[i].append(t)
            live = [i for i in live if seqs[i][-1] != stop]
        return seqs

    def continue_sampled(self, prefixes: list[list[Any]], stop: Any, limit: int,
                         rng: np.random.Generator) -> list[list[Any]]:
        """Each prefix extended by tokens drawn from the allowed set (`next-set` models)."""
        seqs = [list(p) for p in prefixes]
        live = list(range(len(seqs)))
        while live:
            live = [i for i in live if len(seqs[i]) < limit and self.can_run(len(seqs[i]) + 1)]
            if not live:
                break
            nxt = self._next(seqs, live, greedy=False, rng=rng)
            for i, t in zip(live, nxt):
                if t is not None:
                    seqs[i].append(t)
            live = [i for i, t in zip(live, nxt) if t is not None and t != stop]
        return seqs

    def _next(self, seqs: list[list[Any]], live: list[int], greedy: bool,
              rng: np.random.Generator | None) -> list[Any]:
        logits = self.model.logits([self.encode(seqs[i]) for i in live])
        out = []
        for lg in logits:
            row = lg[-1, : len(self.tokens)]
            if greedy:
                out.append(self.tokens[int(row.argmax())])
            else:
                allowed = np.nonzero(row > 0.0)[0]
                out.append(self.tokens[int(rng.choice(allowed))] if len(allowed) else None)
        return out
