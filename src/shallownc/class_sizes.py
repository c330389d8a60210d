"""Class sizes: how many samples each class has, and the reference size of the d/n axis.

The paper (Hong & Ling, arXiv 2409.01832, Section 2) has K classes of n samples each,
N = K n. The data model keeps the per-class sizes n_1..n_K as one value, :class:`ClassSizes`:

* balanced: every n_k = n (the paper; a scalar ``n`` in a config means this);
* explicit: any list of K positive sizes;
* two groups (the imbalanced setting of Hong & Ling, JMLR 25(192) 2024, arXiv 2309.09725,
  Section 2): k_A majority classes of n_A samples, then k_B minority classes of n_B samples,
  imbalance ratio r = n_A / n_B; n_B may be given directly or as ``round(n_A / ratio)``.

Samples are ordered by class (labels 0..K-1, class k repeated n_k times).

Reference size of the d/n axis. Every "d/n" in the project is d over the *largest* class,
n_ref = max_k n_k, so the grid value ``d_over_n`` gives d = round(d_over_n * n_ref)
(:meth:`ClassSizes.dimension`, the only place d is derived from d/n). Reason: the class LP
(paper (2.12)) of class k has n_k equalities X_k^T w = 1 in d unknowns, and for generic data it
is infeasible when d < n_k (docs/science.md §4); the largest class is the first to run out of
dimensions, so d/n_ref = 1 is where every class LP can first be feasible, as d/n = 1 is for
balanced data. Balanced sizes give n_ref = n, so every existing d/n axis is unchanged.

Theory that assumes balance (paper Theorems 2-3, the union and Gordon bounds) takes the sizes
and calls :meth:`ClassSizes.balanced_n`, which raises a clear error for unequal sizes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from numbers import Integral

import numpy as np

N_REF_DEFINITION = "n_ref = max_k n_k (largest class); d = round(d_over_n * n_ref)"


def _positive_int(v, what: str) -> int:
    if isinstance(v, bool) or not isinstance(v, (Integral, float)) or v != int(v) or v < 1:
        raise ValueError(f"{what} must be a positive integer (a class with zero samples has "
                         f"no class LP), got {v!r}")
    return int(v)


@dataclass(frozen=True)
class ClassSizes:
    """Per-class sample counts n_1..n_K (module docstring)."""
    sizes: tuple

    def __post_init__(self):
        sizes = tuple(_positive_int(v, f"class size n_{k + 1}")
                      for k, v in enumerate(self.sizes))
        if len(sizes) < 2:
            raise ValueError(f"class sizes need at least K = 2 classes, got {list(sizes)}")
        object.__setattr__(self, "sizes", sizes)

    # ---------------------------------------------------------------------- constructors
    @classmethod
    def balanced(cls, K: int, n: int) -> "ClassSizes":
        """K classes of n samples (the paper's setting)."""
        return cls((_positive_int(n, "samples per class n"),) * _positive_int(K, "K"))

    @classmethod
    def two_group(cls, k_A: int, n_A: int, k_B: int, n_B: int | None = None,
                  ratio: float | None = None) -> "ClassSizes":
        """k_A classes of n_A samples, then k_B classes of n_B = n_B or round(n_A / ratio)."""
        if (n_B is None) == (ratio is None):
            raise ValueError("two-group class sizes need exactly one of n_B and ratio "
                             f"(got n_B={n_B!r}, ratio={ratio!r})")
        if n_B is None:
            if not ratio >= 1:
                raise ValueError(f"imbalance ratio n_A / n_B must be >= 1, got {ratio!r}")
            n_B = round(n_A / ratio)
            if n_B < 1:
                raise ValueError(f"ratio {ratio} leaves the minority classes with "
                                 f"round({n_A} / {ratio}) = {n_B} samples")
        return cls((_positive_int(n_A, "n_A"),) * _positive_int(k_A, "k_A")
                   + (_positive_int(n_B, "n_B"),) * _positive_int(k_B, "k_B"))

    @classmethod
    def of(cls, value, K: int | None = None) -> "ClassSizes":
        """Class sizes from any accepted form (config ``$defs/class_sizes``): an integer n
        (balanced; needs K), a list of K sizes, a two-group mapping {k_A, n_A, k_B, n_B or
        ratio}, or a ClassSizes. ``K``, when given, must match the number of classes."""
        if isinstance(value, ClassSizes):
            out = value
        elif isinstance(value, dict):
            unknown = set(value) - {"k_A", "n_A", "k_B", "n_B", "ratio"}
            if unknown:
                raise ValueError(f"unknown two-group class-size key(s) {sorted(unknown)}; "
                                 "allowed k_A, n_A, k_B and n_B or ratio")
            try:
                out = cls.two_group(value["k_A"], value["n_A"], value["k_B"],
                                    value.get("n_B"), value.get("ratio"))
            except KeyError as exc:
                raise ValueError(f"two-group class sizes need k_A, n_A, k_B: missing {exc}") \
                    from None
        elif isinstance(value, (list, tuple, np.ndarray)):
            out = cls(tuple(value))
        else:
            if K is None:
                raise ValueError(f"balanced class size n = {value!r} needs the number of "
                                 "classes K")
            out = cls.balanced(K, value)
        if K is not None and out.K != int(K):
            raise ValueError(f"class sizes {list(out.sizes)} give {out.K} classes, but K = {K}")
        return out

    # ----------------------------------------------------------------------- properties
    @property
    def K(self) -> int:
        return len(self.sizes)

    @property
    def N(self) -> int:
        """Total number of samples N = sum_k n_k."""
        return sum(self.sizes)

    @property
    def n_ref(self) -> int:
        """Reference size of the d/n axis: the largest class (module docstring)."""
        return max(self.sizes)

    @property
    def is_balanced(self) -> bool:
        return len(set(self.sizes)) == 1

    @property
    def labels(self) -> np.ndarray:
        """Class labels of the class-ordered samples: k repeated n_k times (int64)."""
        return np.repeat(np.arange(self.K), self.sizes)

    def balanced_n(self, where: str) -> int:
        """n of balanced sizes; a ValueError naming ``where`` (a function or theorem that
        assumes equal class sizes) for any other sizes."""
        if not self.is_balanced:
            raise ValueError(f"{where} assumes balanced classes (equal n_k), got class sizes "
                             f"{list(self.sizes)}; imbalanced classes need their own theory")
        return self.sizes[0]

    def dimension(self, d_over_n: float) -> int:
        """d = round(d_over_n * n_ref): the project's single derivation of d from d/n."""
        return dimension(d_over_n, self.n_ref)

    def attrs(self) -> dict:
        """NetCDF attributes recording the sizes (JSON list), N and the d/n reference."""
        return {"class_sizes": json.dumps(list(self.sizes)), "N": self.N,
                "n_ref": self.n_ref, "n_ref_definition": N_REF_DEFINITION}


def dimension(d_over_n: float, n_ref) -> int:
    """d = round(d_over_n * n_ref) (Python's round: half to even), for n_ref an integer (the
    balanced n, or the reference size of :class:`ClassSizes`) or a ClassSizes.

    The only place in the project where a dimension is derived from a d/n value (issue 20).
    """
    if isinstance(n_ref, ClassSizes):
        n_ref = n_ref.n_ref
    return int(round(float(d_over_n) * int(n_ref)))


def balanced_n(n, K: int | None, where: str) -> int:
    """n of balanced class sizes given in any form of :meth:`ClassSizes.of`; a scalar n passes
    through unchanged (same type and value). A clear ValueError naming ``where`` for unequal
    sizes."""
    if isinstance(n, ClassSizes) or isinstance(n, (dict, list, tuple, np.ndarray)) \
            and np.ndim(n) != 0:
        return ClassSizes.of(n, K).balanced_n(where)
    return n
