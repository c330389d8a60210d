"""The grid model: one cell type, one grid type, seeds derived in one place.

A *grid* is a set of cells (d, sigma) with ``trials`` independent data sets each, over one
data source (a Gaussian mixture, or the real digits subsampled and projected). Every science
module that sweeps such a grid (``shallownc.phase``, the paper figures of
``shallownc.paper.plot_lp``) builds its :class:`Grid` here and hands per-cell functions to
:func:`shallownc.sweep.sweep`.

Seeds (the only place they are derived): :meth:`Grid.seed` hashes (base seed, the cell's
parameters, trial) with :func:`shallownc.data.cell_seed`, so a cell's data is identical however
a grid is chunked into jobs.

* Gaussian-mixture grids: the parameters are those of :class:`shallownc.data.GMMSpec`
  (source, geometry, K, n, d, sigma, mean_norm, angle_deg) — bit-identical to the seeds the
  pipeline has always used.
* ``common_noise`` grids (the paper's Figures 1-2): the seed excludes sigma, so every sigma of
  one (d, trial) sees the same standard-normal draw Z and X(sigma) = M Y + sigma Z (common
  random numbers: the sigma-axis of a heat map is then a path, not independent noise).
* ``nested_d`` grids (an option of the paper figures): the seed excludes d as well; one
  draw Z of d_max rows serves every d (its first d rows), so the data of d are the first d
  coordinates of the data of d' > d. A class LP feasible at d is then feasible at d' (pad w
  with zeros) and one infeasible at d' is infeasible at d (the same Farkas multipliers), so
  its verdict is monotone in d and a bisection over d decides a (sigma, trial) row
  (shallownc.paper.lp.decide_nested). One job then covers every d of a block of trials
  (named ``t{t0}-{t1}``).
* the digits grid: (source, classes, n, d); a sigma > 0 adds noise from seed + 1.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from . import data as D
from .class_sizes import dimension

KINDS = ("phase", "pure_noise", "real", "paper", "random_features")
SOURCES = ("gmm", "digits")


@dataclass(frozen=True)
class Grid:
    """One grid of (d, sigma) cells with ``trials`` data sets each (module docstring).

    The first twelve fields keep their historical order (positional construction).
    ``common_noise``: all sigma of one (d, trial) share their noise draw.
    """
    name: str
    kind: str            # phase | pure_noise | real | paper
    source: str          # gmm | digits
    geometry: str
    K: int
    n: int
    d: tuple
    sigma: tuple
    trials: int
    mean_norm: float = 1.0
    angle_deg: float = 120.0
    classes: tuple = ()  # real data: digit classes
    common_noise: bool = False
    nested_d: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"grid {self.name!r}: unknown kind {self.kind!r}; allowed {KINDS}")
        if self.source not in SOURCES:
            raise ValueError(f"grid {self.name!r}: unknown source {self.source!r}; "
                             f"allowed {SOURCES}")
        if self.trials < 1 or not self.d or not self.sigma:
            raise ValueError(f"grid {self.name!r} needs at least one d, one sigma and one "
                             f"trial (d={self.d}, sigma={self.sigma}, trials={self.trials})")
        if self.common_noise and self.source != "gmm":
            raise ValueError(f"grid {self.name!r}: common_noise needs a Gaussian mixture")
        if self.nested_d and (not self.common_noise or self.geometry == "random"):
            raise ValueError(f"grid {self.name!r}: nested_d needs common_noise and fixed means")

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_config(cls, name: str, block: dict, kind: str = "phase", **fixed) -> "Grid":
        """A grid from one validated config block (phase_diagrams entry or paper figure).

        ``block`` has geometry, K, n, trials, mean_norm, angle_deg and either ``d_over_n``
        (d = round(d_over_n * n), :func:`shallownc.class_sizes.dimension`) or explicit ``d``,
        and ``sigma``; ``fixed`` overrides fields.
        """
        n = block["n"]
        d = tuple(int(v) for v in block["d"]) if "d" in block else \
            tuple(dimension(r, n) for r in block["d_over_n"])
        spec = dict(name=name, kind=kind, source="gmm", geometry=block["geometry"],
                    K=block["K"], n=n, d=d, sigma=tuple(float(s) for s in block["sigma"]),
                    trials=block["trials"], mean_norm=float(block["mean_norm"]),
                    angle_deg=float(block["angle_deg"]))
        spec.update(fixed)
        return cls(**spec)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, spec: dict) -> "Grid":
        """Inverse of :meth:`as_dict` after a JSON round trip (lists back to tuples)."""
        names = {f.name for f in fields(cls)}
        unknown = set(spec) - names
        if unknown:
            raise ValueError(f"unknown grid field(s) {sorted(unknown)}; allowed {sorted(names)}")
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in spec.items()})

    # ------------------------------------------------------------------------- jobs
    def jobs(self, trials_per_job: int) -> list[str]:
        """Job names ``d{d}_t{t0}-{t1}`` (trial range [t0, t1)): one per d and trial block."""
        if trials_per_job < 1:
            raise ValueError(f"trials_per_job must be >= 1 (got {trials_per_job})")
        if self.nested_d:
            return [f"t{t0}-{min(self.trials, t0 + trials_per_job)}"
                    for t0 in range(0, self.trials, trials_per_job)]
        return [f"d{d}_t{t0}-{min(self.trials, t0 + trials_per_job)}"
                for d in self.d for t0 in range(0, self.trials, trials_per_job)]

    def cells(self, d: int, trials) -> list["Cell"]:
        """Units of work of one d and some trials, in (sigma, trial) order.

        A common-noise grid gives one cell per trial holding the whole sigma sequence (its
        noise is drawn once); otherwise one cell per (sigma, trial). A nested grid gives one
        cell per trial holding every d (``d`` is ignored; the cell's ``d`` is the largest).
        """
        if self.nested_d:
            return [Cell(self, max(self.d), self.sigma, int(t), tuple(self.d)) for t in trials]
        if self.common_noise:
            return [Cell(self, int(d), self.sigma, int(t)) for t in trials]
        return [Cell(self, int(d), (s,), int(t)) for s in self.sigma for t in trials]

    # ------------------------------------------------------------------------ seeds
    def seed(self, base_seed: int, d: int, sigma: float, trial: int) -> int:
        """Seed of the data of one (d, sigma, trial) (module docstring; the keys are those of
        shallownc.data's ``*_seed`` functions)."""
        if self.source == "digits":
            return D.digits_seed(base_seed, trial, classes=self.classes, n=self.n, d=int(d))
        common = dict(geometry=self.geometry, K=self.K, n=self.n,
                      mean_norm=self.mean_norm, angle_deg=self.angle_deg)
        if self.nested_d:
            return D.common_noise_seed(base_seed, trial, d=None, **common)
        if self.common_noise:
            return D.common_noise_seed(base_seed, trial, d=int(d), **common)
        return D.gmm_seed(base_seed, trial, d=int(d), sigma=sigma, **common)

    def sub_seed(self, base_seed: int, trial: int, source: str, **params) -> int:
        """Seed of another random draw of a trial (e.g. a random first layer), keyed by the
        grid's name, ``source`` and ``params``."""
        return D.cell_seed(base_seed, trial, source=source, setting=self.name, **params)


@dataclass(frozen=True)
class Cell:
    """One unit of work: a grid, one d, the sigma values drawn together, one trial.

    ``ds``: the d values the cell covers (nested grids: all of them, ``d`` the largest);
    empty means (d,). A cell function returns arrays with leading axes (d, sigma) for a
    nested cell and (sigma,) otherwise (shallownc.sweep).
    """
    grid: Grid
    d: int
    sigmas: tuple
    trial: int
    ds: tuple = ()

    def seed(self, base_seed: int, sigma: float | None = None) -> int:
        return self.grid.seed(base_seed, self.d, self.sigmas[0] if sigma is None else sigma,
                              self.trial)

    def draw(self, base_seed: int, sigma: float, digits: tuple | None = None):
        """(X, y, seed, snr) of this cell at ``sigma``, reproducible bit for bit.

        Gaussian mixtures: X = mu_y + sigma z (shallownc.data, docs/science.md 1); with common
        noise the draw Z is the same for every sigma. Digits: n images per class, projected
        to d dimensions (shallownc.data.subsample_project), plus sigma-noise from seed + 1.
        """
        g = self.grid
        seed = self.seed(base_seed, sigma)
        if g.source == "digits":
            if digits is None:
                raise ValueError("the real-data grid needs the digits arrays")
            X, y = D.draw_digits(*digits, g.n, self.d, sigma, seed)
            return X, y, seed, float("nan")
        X, y, M = D.draw_gmm(seed, g.geometry, g.K, g.n, self.d, sigma, g.mean_norm,
                             g.angle_deg, rows=self._draw_d())
        return X, y, seed, D.snr(M, sigma)

    def _draw_d(self) -> int:
        """Rows drawn: the grid's largest d for nested grids (then sliced), else d."""
        return max(self.grid.d) if self.grid.nested_d else self.d

    def draw_common(self, base_seed: int):
        """(M, y, Z, seed) of a common-noise cell: X(sigma) = M[:, y] + sigma Z for all sigma.

        Bit-identical to :meth:`draw` at every sigma (same generator, same order of draws).
        """
        g = self.grid
        if not g.common_noise:
            raise ValueError(f"grid {g.name!r} does not share noise across sigma")
        seed = self.seed(base_seed)
        M, y, Z = D.draw_common_noise(seed, g.geometry, g.K, g.n, self.d, g.mean_norm,
                                      g.angle_deg, rows=self._draw_d())
        return M, y, Z, seed


def parse_job(job: str) -> tuple[int | None, int, int]:
    """``d40_t0-20`` -> (40, 0, 20); a nested grid's ``t0-20`` -> (None, 0, 20)."""
    try:
        if job.startswith("t"):
            t0, t1 = job[1:].split("-")
            return None, int(t0), int(t1)
        dpart, tpart = job.split("_t")
        t0, t1 = tpart.split("-")
        return int(dpart[1:]), int(t0), int(t1)
    except ValueError as exc:
        raise ValueError(f"bad job name {job!r}; expected d<d>_t<t0>-<t1>") from exc
