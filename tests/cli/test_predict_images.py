"""`zoo predict` on image files, end to end through subprocesses."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
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
    args = ["predict", f"ckpt_path={checkpoint}", f"input={folder}", "top_k=3"]
    result = run_zoo([*args, f"output={output}"], cwd)
    assert result.returncode == 0, result.stderr
    lines = output.read_text().splitlines()
    assert (
        lines[0] == "input,class,probability,class_2,probability_2,class_3,probability_3" and len(lines) == 4
    )
    assert all(line.split(",")[1] in [str(d) for d in range(10)] for line in lines[1:])
    cells = lines[1].split(",")
    assert float(cells[2]) >= float(cells[4]) >= float(cells[6])  # the top 3, most probable first
    # without output=, a folder's predictions go to predictions.csv - never over an earlier one
    first, second = run_zoo(args, cwd), run_zoo(args, cwd)
    assert "written to predictions.csv" in first.stdout and "written to predictions-2.csv" in second.stdout
    assert (cwd / "predictions.csv").read_text() == (cwd / "predictions-2.csv").read_text()


def test_a_non_image_file_is_a_clear_error(lenet_checkpoint, tmp_path):
    cwd, checkpoint = lenet_checkpoint
    (tmp_path / "fake.png").write_text("this is not a picture")
    result = run_zoo(["predict", f"ckpt_path={checkpoint}", f"input={tmp_path / 'fake.png'}"], cwd)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "not an image" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def mode_variants(gray: np.ndarray, rgb: np.ndarray) -> dict[str, tuple[Image.Image, Image.Image]]:
    """Every PIL mode the loader reads, each with its 8-bit L or RGB equivalent."""
    L, RGB = Image.fromarray(gray, "L"), Image.fromarray(rgb, "RGB")
    palette = Image.fromarray((rgb // 64 * 64).astype(np.uint8), "RGB")  # 64 colours: exact as P
    return {
        "I;16": (Image.fromarray(gray.astype(np.uint16) * 257), L),
        "I;16B": (Image.fromarray((gray.astype(np.uint16) * 257).astype(">u2")), L),
        "I": (L.convert("I"), L),
        "F": (L.convert("F"), L),
        "1": (L.convert("1"), L.convert("1").convert("L")),
        "LA": (L.convert("LA"), L),
        "P": (palette.quantize(256), palette),
        "PA": (palette.quantize(256).convert("PA"), palette),
        "RGBA": (RGB.convert("RGBA"), RGB),
        "CMYK": (RGB.convert("CMYK"), RGB),
        "YCbCr": (RGB.convert("YCbCr"), RGB.convert("YCbCr").convert("RGB")),
    }


@pytest.mark.parametrize(
    "mode", list(mode_variants(np.zeros((2, 2), np.uint8), np.zeros((2, 2, 3), np.uint8)))
)
def test_every_pil_mode_reads_as_its_8_bit_equivalent(tmp_path, mode):
    from zoo.data.images import read_image

    rng = np.random.default_rng(0)
    gray, rgb = (
        rng.integers(0, 256, (20, 24)).astype(np.uint8),
        rng.integers(0, 256, (20, 24, 3)).astype(np.uint8),
    )
    image, equivalent = mode_variants(gray, rgb)[mode]
    assert image.mode == mode
    suffix = ".tiff" if mode in ("I", "F", "CMYK", "I;16B", "YCbCr", "PA") else ".png"
    image.save(tmp_path / f"image{suffix}")
    equivalent.save(tmp_path / "equivalent.png")
    for channels in (1, 3):
        for size in ((20, 24), (9, 7)):
            read = read_image(tmp_path / f"image{suffix}", channels, size)
            expected = read_image(tmp_path / "equivalent.png", channels, size)
            assert torch.equal(read, expected), (mode, channels, size)


def test_values_an_8_bit_image_cannot_hold_are_refused_not_clipped(tmp_path):
    from zoo.data.images import read_image
    from zoo.errors import ZooError

    Image.fromarray(np.full((8, 8), 40000, np.int32), "I").save(tmp_path / "wide.tiff")
    Image.fromarray(np.full((8, 8), np.nan, np.float32), "F").save(tmp_path / "nan.tiff")
    for name in ("wide.tiff", "nan.tiff"):
        with pytest.raises(ZooError, match="the zoo reads"):
            read_image(tmp_path / name, 1, (8, 8))


def test_a_16_bit_png_gets_the_class_and_probabilities_of_the_same_8_bit_digit(lenet_checkpoint, tmp_path):
    import zoo

    predictor = zoo.load(lenet_checkpoint[1])
    for digit in range(10):
        eight = digit_picture(digit, (32, 32), "L")
        eight.save(tmp_path / f"d{digit}_8.png")
        Image.fromarray(np.asarray(eight).astype(np.uint16) * 257).save(tmp_path / f"d{digit}_16.png")
        (a,), (b,) = (
            predictor.predict(str(tmp_path / f"d{digit}_8.png")),
            predictor.predict(str(tmp_path / f"d{digit}_16.png")),
        )
        assert a["class"] == b["class"] and a["probability"] == pytest.approx(b["probability"], abs=1e-6)
