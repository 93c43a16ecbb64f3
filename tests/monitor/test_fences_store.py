"""``PairStore`` against a plain dict: positions, lookups, replacing a track's pairs,
merging the delta, filtering, re-keying and pickling, in random sequences."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from deconfliction.monitor.fences import SHIFT, PairStore


def _key(slot: int, row: int) -> int:
    return slot << 32 | row


def _check(store: PairStore, model: dict[int, tuple[int, float]]) -> None:
    assert len(store) == len(model)
    keys = sorted(model)
    # lookups and positions without merging first
    pos = store.find(np.array([*keys, _key(999, 1)], dtype=np.int64))
    assert pos[-1] == -1 and (pos[:-1] >= 0).all()
    assert store.key_at(pos[:-1]).tolist() == keys
    assert store.col_at("state", pos[:-1]).tolist() == [model[k][0] for k in keys]
    assert store.col_at("since", pos[:-1]).tolist() == [model[k][1] for k in keys]
    slots = sorted({k >> 32 for k in keys} | {998})
    got = store.key_at(store.positions_of(np.array(slots[::-1], dtype=np.int64))).tolist()
    want = sorted(keys, key=lambda k: (-(k >> 32), k))  # grouped in the order asked
    assert got == want
    # the compacted view
    assert store.keys.tolist() == keys
    assert store.cols["state"].tolist() == [model[k][0] for k in keys]
    assert store.cols["since"].tolist() == [model[k][1] for k in keys]


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("delta_min", [1, 8, 10_000])
def test_pair_store_matches_a_dict(seed: int, delta_min: int,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(PairStore, "DELTA_MIN", delta_min)
    rng = np.random.default_rng(seed)
    store = PairStore(state=np.int8, since=np.float64)
    model: dict[int, tuple[int, float]] = {}
    for step in range(300):
        op = rng.random()
        if op < 0.75:  # a batch: some tracks' pairs replaced (kept, changed, gone, new)
            slots = np.unique(rng.integers(0, 40, rng.integers(1, 6)))
            drop = store.positions_of(slots)
            old = set(store.key_at(drop).tolist())
            for k in old:
                del model[k]
            new: set[int] = set()
            for s in slots.tolist():
                rows = rng.integers(0, 12, rng.integers(0, 5))
                keep_old = [k for k in old if k >> 32 == s and rng.random() < 0.7]
                new |= {_key(s, int(r)) for r in rows} | set(keep_old)
            keys = np.array(sorted(new), dtype=np.int64)
            rng.shuffle(keys)  # any order
            state = rng.integers(0, 2, keys.size).astype(np.int8)
            since = rng.random(keys.size)
            store.replace(drop, keys, state=state, since=since)
            model.update({int(k): (int(a), float(b))
                          for k, a, b in zip(keys, state, since, strict=True)})
        elif op < 0.85:  # a pass over every pair that keeps some
            keys = store.keys
            mask = rng.random(keys.size) < 0.8
            store.keep(mask)
            model = {int(k): model[int(k)] for k in keys[mask]}
        elif op < 0.9:  # rows renumbered (reverse order within each slot)
            keys = store.keys
            new_keys = ((keys >> SHIFT) << SHIFT) | (50 - (keys & 0xFFFFFFFF))
            store.rekey(new_keys)
            model = {int(n): model[int(k)] for k, n in zip(keys, new_keys, strict=True)}
        else:  # a snapshot taken and restored
            store = pickle.loads(pickle.dumps(store))
        if step % 7 == 0 or op >= 0.75:
            _check(store, model)
    _check(store, model)


def test_a_snapshot_of_the_former_layout_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    """A store pickled by the single sorted-array layout (its ``__dict__`` held ``keys``
    and ``cols``) loads."""
    old = PairStore.__new__(PairStore)
    old.__dict__.update(keys=np.array([_key(1, 3), _key(2, 5)], dtype=np.int64),
                        cols={"state": np.array([1, 0], dtype=np.int8)})
    with monkeypatch.context() as m:  # pickled as that layout was: its plain __dict__
        m.setattr(PairStore, "__getstate__", lambda self: self.__dict__)
        data = pickle.dumps(old)
    store = pickle.loads(data)
    assert len(store) == 2
    assert store.find(np.array([_key(2, 5)], dtype=np.int64)).tolist() == [1]
    store.replace(store.positions_of(np.array([1])), np.array([_key(1, 4)]),
                  state=np.array([1], dtype=np.int8))
    assert store.keys.tolist() == [_key(1, 4), _key(2, 5)]


def test_a_batch_on_a_large_store_copies_nothing_of_it() -> None:
    """Replacing a few tracks' pairs in a large store leaves its main arrays in place
    (the cost of a batch is what it touches)."""
    store = PairStore(state=np.int8)
    n = 100_000
    keys = (np.arange(n, dtype=np.int64) << SHIFT) | 7
    store.replace(np.zeros(0, dtype=np.int64), keys, state=np.ones(n, dtype=np.int8))
    assert store.keys.size == n  # merged into the main part
    main = store._keys
    for s in range(0, 2_000, 10):  # pairs kept, changed and added
        slots = np.array([s, s + 1])
        drop = store.positions_of(slots)
        new = np.array([_key(s, 7), _key(s + 1, 8)], dtype=np.int64)
        store.replace(drop, new, state=np.zeros(2, dtype=np.int8))
    assert store._keys is main
    assert len(store) == n
    assert store.find(np.array([_key(11, 8), _key(11, 7)])).tolist()[1] == -1
