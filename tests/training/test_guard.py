"""NonFiniteLossGuard's two ways of recording the first non-finite loss agree: on the host (CPU
runs) and kept on the device without a sync (GPU runs; exercised here on CPU tensors)."""

import math

import pytest
import torch

from zoo.training.guard import NonFiniteLossGuard

BATCHES = {
    "all finite": [[1.0, 2.0], [0.5]],
    "nan inside the second bundle": [[1.0, 2.0, 3.0], [4.0, math.nan, math.inf], [math.nan]],
    "inf first": [[math.inf, 1.0], [math.nan]],
    "single steps": [[1.0], [2.0], [-math.inf], [math.nan]],
}


def recorded(record: str, batches: list[list[float]]) -> tuple[int, float] | None:
    guard, step = NonFiniteLossGuard(), 0
    for losses in batches:
        step += len(losses)
        getattr(guard, record)(torch.tensor(losses), step - len(losses))
    if guard.first_bad_step is None or int(guard.first_bad_step) < 0:
        return None
    return int(guard.first_bad_step), float(guard.bad_value)


@pytest.mark.parametrize("case", BATCHES)
def test_the_host_and_device_records_name_the_same_first_bad_step_and_value(case):
    on_host = recorded("record_on_host", BATCHES[case])
    on_device = recorded("record_on_device", BATCHES[case])
    expected = {"all finite": None, "nan inside the second bundle": (4, math.nan),
                "inf first": (0, math.inf), "single steps": (2, -math.inf)}[case]  # fmt: skip
    for result in (on_host, on_device):
        if expected is None:
            assert result is None
        else:
            assert result[0] == expected[0]
            assert str(result[1]) == str(expected[1])  # nan == nan by its name
