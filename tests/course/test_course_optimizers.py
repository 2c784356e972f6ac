import pytest
import torch

from zoo.course.agreement import optimizer_trajectory
from zoo.course.optimizers import CourseAdam, CourseRMSprop, CourseSGD

CASES = [
    (CourseSGD, {"lr": 0.005}, torch.optim.SGD, {"lr": 0.005}),
    (CourseSGD, {"lr": 0.005, "momentum": 0.9}, torch.optim.SGD, {"lr": 0.005, "momentum": 0.9}),
    (
        CourseSGD,
        {"lr": 0.005, "momentum": 0.9, "weight_decay": 0.01},
        torch.optim.SGD,
        {"lr": 0.005, "momentum": 0.9, "weight_decay": 0.01},
    ),
    (CourseAdam, {"lr": 0.01, "eps_inside_sqrt": False}, torch.optim.Adam, {"lr": 0.01}),
    (
        CourseAdam,
        {"lr": 0.01, "weight_decay": 0.01, "eps_inside_sqrt": False},  # torch's placement of ε
        torch.optim.Adam,
        {"lr": 0.01, "weight_decay": 0.01},
    ),
    (CourseRMSprop, {"lr": 0.01}, torch.optim.RMSprop, {"lr": 0.01}),
]


def trajectory(cls, kwargs, steps=100):
    return optimizer_trajectory(cls, kwargs, steps)


@pytest.mark.parametrize(("ours", "our_kwargs", "theirs", "their_kwargs"), CASES)
def test_written_optimizers_follow_torch_step_for_step(ours, our_kwargs, theirs, their_kwargs):
    torch.testing.assert_close(
        trajectory(ours, our_kwargs), trajectory(theirs, their_kwargs), atol=1e-6, rtol=0
    )


def test_adam_with_the_courses_epsilon_inside_the_square_root_differs_where_v_is_small():
    torch_path = trajectory(CourseAdam, {"lr": 0.01, "eps": 1e-3, "eps_inside_sqrt": False})
    course_path = trajectory(CourseAdam, {"lr": 0.01, "eps": 1e-3, "eps_inside_sqrt": True})
    assert not torch.allclose(torch_path, course_path, atol=1e-6)


def test_course_adam_places_epsilon_as_the_course_does_by_default():
    from zoo.registry import compose

    assert compose("train", ["optimizer=course_adam", "name=x"]).optimizer.eps_inside_sqrt is True
    by_default = trajectory(CourseAdam, {"lr": 0.01, "eps": 1e-3})
    torch.testing.assert_close(
        by_default, trajectory(CourseAdam, {"lr": 0.01, "eps": 1e-3, "eps_inside_sqrt": True})
    )


def test_course_optimizers_train_through_the_config(train_run):
    for name in ("course_sgd", "course_adam", "course_rmsprop"):
        assert (
            train_run(["data=moons", f"optimizer={name}", "trainer.max_epochs=3"])["test"]["test/acc"] > 0.8
        )
