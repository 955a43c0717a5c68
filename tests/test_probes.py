"""Unit tests for the latent read-outs of poslib.probes: probes, separability and the dimension estimate."""

import numpy as np
import pytest

from poslib import probes


def _blocks(n=4000, seed=0):
    """Latents whose first 16 dims are fixed by the class, the next 16 by the place, the last 32 are noise."""
    z, (cls, place), _ = probes.synthetic_latents(n, seed=seed)
    return z, cls, place


def test_factor_scores_recover_the_variance_each_factor_controls():
    z, (cls, place), want = probes.synthetic_latents(4000, seed=0)
    total = z.var(0).sum()
    assert np.allclose(want, [z[:, :16].var(0).sum() / total, z[:, 16:32].var(0).sum() / total])
    got = probes.factor_scores(z, [probes.pairs(cls, 4000, 0), probes.pairs(place, 4000, 1)])
    assert got[-1] == 1.0
    assert np.allclose(got[:2], want, atol=0.01)


def test_a_factor_that_fixes_nothing_scores_zero():
    z, cls, _ = _blocks()
    unrelated = np.random.default_rng(5).integers(7, size=len(z))
    assert abs(probes.factor_scores(z, [probes.pairs(unrelated, 4000, 0)])[0]) < 0.01


def test_factor_dimensions_sum_to_the_width_and_follow_the_scores():
    dims = probes.factor_dimensions([0.25, 0.25, 1.0], 64)
    assert dims.sum() == 64 and dims[0] == dims[1] < dims[2]
    assert list(probes.factor_dimensions([0.0, 0.0, 1.0], 10)) == [2, 2, 6]  # softmax 0.21, 0.21, 0.58


def test_bootstrap_scores_surround_the_estimate():
    z, cls, place = _blocks(2000)
    sets = [probes.pairs(cls, 1000, 0), probes.pairs(place, 1000, 1)]
    boot = probes.bootstrap_scores(z, sets, draws=50, seed=0)
    est = probes.factor_scores(z, sets)
    assert boot.shape == (50, 3)
    assert np.all(np.quantile(boot, 0.05, 0)[:2] < est[:2]) and np.all(est[:2] < np.quantile(boot, 0.95, 0)[:2])


def test_pairs_share_the_factor_and_differ_where_asked():
    f = np.repeat(np.arange(5), 4)
    obj = np.arange(20) // 2
    p = probes.pairs(f, 200, 0, differ=obj)
    assert np.all(f[p[:, 0]] == f[p[:, 1]]) and np.all(obj[p[:, 0]] != obj[p[:, 1]])
    with pytest.raises(ValueError, match="no value"):
        probes.pairs(np.arange(5), 3, 0)
    with pytest.raises(ValueError, match="differ"):
        probes.pairs(np.zeros(4), 3, 0, differ=np.ones(4))


def test_linear_probe_reads_a_linear_code_and_not_noise():
    z, cls, _ = _blocks(3000)
    assert (probes.linear_probe(z[:2000], cls[:2000], z[2000:]) == cls[2000:]).mean() > 0.95
    noise = np.random.default_rng(1).normal(size=(3000, 8))
    assert (probes.linear_probe(noise[:2000], cls[:2000], noise[2000:]) == cls[2000:]).mean() < 0.2


def test_few_shot_accuracy_grows_with_the_shots():
    z, cls, _ = _blocks(3000)
    z = z + np.random.default_rng(2).normal(scale=3.0, size=z.shape)
    one = probes.few_shot_accuracy(z[:2000], cls[:2000], z[2000:], cls[2000:], 1, draws=3)
    many = probes.few_shot_accuracy(z[:2000], cls[:2000], z[2000:], cls[2000:], 50, draws=3)
    assert many > one


def test_fisher_ratio_is_zero_without_class_structure_and_grows_with_it():
    rng = np.random.default_rng(0)
    y = np.arange(1000) % 4
    noise = rng.normal(size=(1000, 6))
    assert probes.fisher_ratio(noise, y) < 0.02
    near, far = (probes.fisher_ratio(noise + gap * np.eye(6)[y], y) for gap in (1.0, 3.0))
    assert 0.02 < near < far


@pytest.mark.parametrize("call, message", [
    (lambda: probes.synthetic_latents(10, blocks=(4, 4), levels=(2, 3)), "one block per factor"),
    (lambda: probes.linear_probe(np.zeros(5), [0, 1, 0, 1, 0], np.zeros((2, 1))), "matrix"),
    (lambda: probes.linear_probe(np.zeros((4, 2)), [0, 0, 0, 0], np.zeros((2, 2))), "two classes"),
    (lambda: probes.linear_probe(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros((2, 3))), "dims"),
    (lambda: probes.fisher_ratio(np.zeros((4, 2)), [0, 1, 0]), "one integer label"),
    (lambda: probes.few_shot_accuracy(np.zeros((4, 2)), [0, 1, 0, 1], np.zeros((2, 2)), [0, 1], 3), "shots"),
    (lambda: probes.factor_scores(np.ones((4, 2)), [np.zeros((1, 2), int)]), "do not vary"),
    (lambda: probes.factor_scores(np.eye(4), [np.zeros((3,), int)]), r"\(n, 2\)"),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
