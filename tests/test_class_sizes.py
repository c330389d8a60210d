"""Class sizes as a first-class value (issue 20, item 1): shallownc.class_sizes."""
import ast
import json
import re
from pathlib import Path

import numpy as np
import pytest

from shallownc import bounds, config, feasibility, upfm, verdict
from shallownc.class_sizes import ClassSizes, balanced_n, dimension

ROOT = Path(__file__).resolve().parents[1]


def test_balanced_sizes_and_reference():
    cs = ClassSizes.of(5, K=3)
    assert cs.sizes == (5, 5, 5) and cs.N == 15 and cs.n_ref == 5 and cs.is_balanced
    assert cs.labels.tolist() == [0] * 5 + [1] * 5 + [2] * 5
    assert cs.balanced_n("x") == 5


def test_two_group_forms_agree_and_reference_is_the_largest_class():
    a = ClassSizes.of({"k_A": 1, "n_A": 300, "k_B": 2, "n_B": 15})
    b = ClassSizes.of({"k_A": 1, "n_A": 300, "k_B": 2, "ratio": 20})
    assert a == b and a.sizes == (300, 15, 15) and a.K == 3 and a.N == 330
    assert a.n_ref == 300 and not a.is_balanced
    assert np.bincount(a.labels).tolist() == [300, 15, 15]
    assert a.dimension(1.5) == 450
    attrs = a.attrs()
    assert json.loads(attrs["class_sizes"]) == [300, 15, 15] and attrs["N"] == 330


def test_dimension_is_pythons_round_of_d_over_n_times_n_ref():
    # the historical rule d = round(d_over_n * n), banker's rounding included
    for r, n in [(0.5, 5), (1.5, 5), (2.5, 6), (0.25, 10), (1.1, 300), (3.0, 4)]:
        assert dimension(r, n) == round(r * n)
        assert dimension(r, ClassSizes.of(n, K=2)) == round(r * n)
    assert dimension(1.0, ClassSizes.of([3, 7, 5])) == 7


@pytest.mark.parametrize("value,K,msg", [
    ([5, 0], None, "zero samples"),
    ([5, 3], 3, "give 2 classes, but K = 3"),
    (4, None, "needs the number of classes K"),
    ({"k_A": 1, "n_A": 10, "k_B": 1}, None, "exactly one of n_B and ratio"),
    ({"k_A": 1, "n_A": 10, "k_B": 1, "ratio": 30}, None, "leaves the minority classes"),
    ({"k_A": 1, "n_A": 10, "k_B": 1, "n_C": 3}, None, "unknown two-group"),
    ([7], None, "at least K = 2"),
])
def test_bad_sizes_get_one_clear_error(value, K, msg):
    with pytest.raises(ValueError, match=re.escape(msg)):
        ClassSizes.of(value, K)


def test_balanced_only_theory_rejects_imbalanced_sizes():
    """Every theory function that assumes balance takes the sizes and names itself."""
    imb = [300, 30]
    calls = [
        (lambda n: upfm.threshold("ce", "upfm", 2, n), "upfm.threshold"),
        (lambda n: verdict.optimum("ce", 2, n, 1e-3, 1e-6, 0.5), "verdict.optimum"),
        (lambda n: bounds.gordon_d_min(n, 2, 1, 0.05), "bounds.gordon_d_min"),
        (lambda n: feasibility.decide_noiseless(np.eye(2), n, 0), "decide_noiseless"),
    ]
    for call, name in calls:
        with pytest.raises(ValueError, match=rf"{re.escape(name)}.*assumes balanced classes"):
            call(imb)
    # balanced sizes in any form give the same value as the scalar n
    a = upfm.threshold("ce", "upfm", 2, 300)
    assert upfm.threshold("ce", "upfm", 2, [300, 300]) == a
    assert upfm.threshold("ce", "upfm", 2, ClassSizes.of(300, 2)) == a
    assert balanced_n(7.0, None, "x") == 7.0  # scalars pass through unchanged


def _validate(section_yaml: dict) -> list[str]:
    try:
        config.validate(section_yaml)
    except config.ConfigError as exc:
        return str(exc).splitlines()
    return []


def test_schema_class_sizes_forms_and_balanced_only_sections():
    """$defs/class_sizes accepts the three forms; sections whose theory is balanced take the
    balanced form ($defs/n) and reject a list with a message naming the key."""
    schema = config.load_schema()
    import jsonschema

    v = jsonschema.Draft202012Validator({"$defs": schema["$defs"],
                                         "$ref": "#/$defs/class_sizes"})
    for good in (5, [5, 3, 2], {"k_A": 2, "n_A": 100, "k_B": 2, "ratio": 10},
                 {"k_A": 1, "n_A": 100, "k_B": 1, "n_B": 7}):
        assert not list(v.iter_errors(good)), good
    for bad in (0, [5], [5, 0], {"k_A": 1, "n_A": 10, "k_B": 1},
                {"k_A": 1, "n_A": 10, "k_B": 1, "n_B": 2, "ratio": 5}, "5"):
        assert list(v.iter_errors(bad)), bad
    msgs = _validate({"feasibility": {"phase_diagrams": {"x": {
        "geometry": "antipodal", "K": 2, "n": [5, 3], "d_over_n": [1.0], "sigma": [0.1],
        "trials": 1}}}})
    assert any("feasibility.phase_diagrams.x.n" in m and "balanced" in m for m in msgs), msgs


def _round_times_n(tree) -> list[str]:
    """``round(a * n)``-style expressions: round() of a product with a factor naming n."""
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "round"
                and node.args and isinstance(node.args[0], ast.BinOp)
                and isinstance(node.args[0].op, ast.Mult)):
            factors = (ast.unparse(node.args[0].left), ast.unparse(node.args[0].right))
            if any(re.search(r"(^n|\.n|\['n'\]|n_ref)$", f) for f in factors):
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_no_other_d_from_d_over_n_derivation():
    """class_sizes.dimension is the only place d is derived from d/n (issue 20): no
    round(d_over_n * n) in the package, the scripts or the rule files."""
    hits = []
    for path in [*(ROOT / "src").rglob("*.py"), *(ROOT / "workflow").rglob("*.py")]:
        if path.name != "class_sizes.py":
            hits += [f"{path}: {h}" for h in _round_times_n(ast.parse(path.read_text()))]
    for path in [ROOT / "Snakefile", *(ROOT / "workflow" / "rules").glob("*.smk")]:
        code = [ln.split("#")[0] for ln in path.read_text().splitlines()]
        hits += [f"{path}: {ln}" for ln in code if re.search(r"round\(.*\*.*\bn\b", ln)
                 or re.search(r"round\(.*\[.n.\]", ln)]
    assert not hits, hits
