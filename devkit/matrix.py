"""The option matrix: every code_storage x work_pool_type pair, the other answers pairwise.

Built from the answer model (`answer_model.combination_problems` says what is refused), so
a new choice is covered without editing this file. Deterministic: every pytest-xdist worker
must build the same list.
"""

from __future__ import annotations

import itertools
import json

import answer_model
from devkit.render import TEMPLATE

CHOICES = json.loads((TEMPLATE / "cookiecutter.json").read_text())
STORAGES, POOLS = CHOICES["code_storage"], CHOICES["work_pool_type"]
OTHERS = {
    name: CHOICES[name] for name in ("python_version", "ci_provider", "notifications", "warehouse")
}
# prefect_version is free text the model checks: the newest release of each supported line.
OTHERS["prefect_version"] = [line.releases[0] for line in answer_model.PREFECT_LINES.values()]
assert CHOICES["prefect_version"] == OTHERS["prefect_version"][0], "the default leads"
VALUES = {"work_pool_type": POOLS, **OTHERS}


def supported(answers: dict) -> bool:
    return not answer_model.combination_problems(answers)


# storage x pool pairs the model refuses whatever the other answers, with its message.
UNSUPPORTED = {
    (storage, pool): problems["code_storage"]
    for storage, pool in itertools.product(STORAGES, POOLS)
    if "code_storage"
    in (
        problems := answer_model.combination_problems(
            {"code_storage": storage, "work_pool_type": pool, "python_version": "3.13"}
            | {"prefect_version": OTHERS["prefect_version"][0]}
        )
    )
}


def pairs(answers: dict) -> set[tuple]:
    """The (question, answer, question, answer) pairs one row covers."""
    names = itertools.combinations(["work_pool_type", *OTHERS], 2)
    return {(x, answers[x], y, answers[y]) for x, y in names}


def pairwise_matrix() -> list[dict]:
    """Storage × pool in full; python, CI and notifications chosen greedily so that every
    pair of their values (and every value with every pool) appears at least once."""
    missing = set()
    for combo in itertools.product(*(VALUES[n] for n in ["work_pool_type", *OTHERS])):
        answers = dict(zip(["work_pool_type", *OTHERS], combo, strict=True))
        answers["code_storage"] = "git"
        if supported(answers):
            missing |= pairs(answers)
    matrix = []
    for storage, pool in itertools.product(STORAGES, POOLS):
        if (storage, pool) in UNSUPPORTED:
            continue
        candidates = [
            {
                "code_storage": storage,
                "work_pool_type": pool,
                **dict(zip(OTHERS, rest, strict=True)),
            }
            for rest in itertools.product(*OTHERS.values())
        ]
        best = max((a for a in candidates if supported(a)), key=lambda a: len(pairs(a) & missing))
        missing -= pairs(best)
        matrix.append(best)
    while missing:  # extra rows for pairs the storage × pool rows could not cover
        target = min(missing)  # deterministic: every xdist worker must build the same list
        base = {
            "code_storage": "git",
            "work_pool_type": "process",
            **{n: v[0] for n, v in OTHERS.items()},
        }
        base.update({target[0]: target[1], target[2]: target[3]})
        best = base if supported(base) else None
        assert best is not None, f"no supported row covers {target}"
        missing -= pairs(best)
        matrix.append(best)
    return matrix


MATRIX = pairwise_matrix()


def label(answers: dict) -> str:
    return "-".join(answers[k] for k in ["code_storage", "work_pool_type", *OTHERS])
