"""zoo.course.agreement at a small scale: the numbers of RESULTS.md's course section are gaps
between the written-out algorithms and torch's, and each gap is small here and large when the
written-out side is made wrong."""

import pytest

from zoo.course import agreement


def test_autodiff_agrees_with_autograd_on_random_expressions_and_on_training_xor():
    assert agreement.random_expressions_gap(40, seed=1) < 1e-10
    xor = agreement.xor_agreement(steps=400)
    assert xor["largest_gap"] < 1e-12
    assert len(xor["losses"]) == len(xor["torch_losses"]) == 400
    assert xor["losses"][-1] < 0.5 * xor["losses"][0]


def test_the_xor_comparison_sees_a_different_learning_rate():
    ours = agreement.xor_agreement(steps=300, lr=0.5)["losses"]
    assert max(abs(a - b) for a, b in zip(ours, agreement.xor_with_torch(300, 0.4, 2, 0), strict=True)) > 1e-3


def test_written_out_backprop_and_gradient_checking_on_digit_images():
    assert agreement.backprop_gap([8], examples=64) < 1e-12
    assert agreement.gradient_check_error([8], examples=64, samples=40) < 1e-5
    assert agreement.gradient_check_error([8], examples=64, samples=40, first_layer_off_by=1.3) > 0.1


def test_the_course_s_optimizers_follow_torch_and_the_gap_is_measured_on_their_trajectories():
    gaps = agreement.optimizer_gaps(steps=30)
    assert set(gaps) == {"SGD", "SGD with momentum", "RMSprop", "Adam"}
    assert max(gaps.values()) < 1e-12


@pytest.mark.parametrize("name", sorted(agreement.EXPRESSION_STEPS))
def test_every_expression_step_runs_on_both_sides(name):
    assert agreement.expression_gap([name], "mean", seed=3) < 1e-10
