"""`zoo predict` on image files, end to end through subprocesses."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from tests.conftest import run_zoo


@pytest.fixture(scope="module")
def lenet_checkpoint(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("lenet")
    result = run_zoo(["train", "experiment=lenet5_digits", "trainer.max_epochs=3"], cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = (cwd / "runs" / "lenet5_digits").iterdir()
    return cwd, json.loads((run_dir / "summary.json").read_text())["best_checkpoint"]


def digit_picture(digit: int, size: tuple[int, int], mode: str) -> Image.Image:
    """A bundled 8×8 digit drawn large in another size and colour mode."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    index = int(np.flatnonzero(digits.target == digit)[0])
    pixels = (digits.images[index] * (255 / 16)).astype(np.uint8)
    return Image.fromarray(pixels, mode="L").resize(size, Image.NEAREST).convert(mode)


def test_predict_on_a_png_of_another_size_and_colour_mode_prints_top5(lenet_checkpoint, tmp_path):
    cwd, checkpoint = lenet_checkpoint
    digit_picture(3, (70, 50), "RGB").save(tmp_path / "three.png")
    result = run_zoo(["predict", f"ckpt_path={checkpoint}", f"input={tmp_path / 'three.png'}"], cwd)
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if "three.png" in line)
    cells = [cell.strip() for cell in row.split("│") if cell.strip()]
    assert cells[1] in [str(d) for d in range(10)]  # a valid class
    assert len(cells[3].split(",")) == 5  # the top 5 with probabilities


def test_predict_on_a_folder_writes_a_csv(lenet_checkpoint, tmp_path):
    cwd, checkpoint = lenet_checkpoint
    folder = tmp_path / "pictures"
    folder.mkdir()
    for digit in (0, 1, 7):
        digit_picture(digit, (32, 32), "L").save(folder / f"digit{digit}.png")
    output = tmp_path / "out.csv"
    result = run_zoo(["predict", f"ckpt_path={checkpoint}", f"input={folder}", f"output={output}"], cwd)
    assert result.returncode == 0, result.stderr
    lines = output.read_text().splitlines()
    assert lines[0] == "input,class,probability" and len(lines) == 4
    assert all(line.split(",")[1] in [str(d) for d in range(10)] for line in lines[1:])


def test_a_non_image_file_is_a_clear_error(lenet_checkpoint, tmp_path):
    cwd, checkpoint = lenet_checkpoint
    (tmp_path / "fake.png").write_text("this is not a picture")
    result = run_zoo(["predict", f"ckpt_path={checkpoint}", f"input={tmp_path / 'fake.png'}"], cwd)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "not an image" in result.stderr and len(result.stderr.strip().splitlines()) == 1
