"""The README's measured numbers come from docs/RESULTS.md: every number it gives as measured in the
models table, and every number in the table of the course's claims, is a value of RESULTS.md at
the README's precision (0.978 for 0.9778, 96% for 0.9630)."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?%|\d+\.\d+)")


def results_values() -> list[float]:
    text = (ROOT / "docs" / "RESULTS.md").read_text(encoding="utf-8")
    return [float(value) for value in re.findall(r"(?<![\w.])\d+\.\d+", text)]


def readme_claims() -> list[tuple[str, str]]:
    """(where, number) for each number the README states as measured."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    found = []
    models = lines[lines.index("| model (`model=`) | after | parameters | default experiment | expected |") :]
    for line in models[2 : models.index("")]:
        expected = line.split(" | ")[-1]
        for segment in re.findall(r"measured([^)|;]*)", expected):
            found += [(line[:40], number) for number in NUMBER.findall(segment)]
        found += [(line[:40], number) for number in re.findall(r"(\d+\.\d+) \(measured\)", expected)]
    claims = lines[lines.index("| claim | run | what it shows (measured on CPU) |") :]
    for line in claims[2 : claims.index("")]:
        shown = line.split(" | ")[2]
        found += [(line[:40], number) for number in NUMBER.findall(shown)]
    return found


def matches(number: str, values: list[float]) -> bool:
    percent = number.endswith("%")
    digits = number.rstrip("%")
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    target = float(digits)
    scale = 100 if percent else 1
    return any(abs(value * scale - target) <= 0.5 * 10**-decimals + 1e-9 for value in values)


def test_every_measured_number_in_the_readme_is_in_the_results():
    values = results_values()
    claimed = readme_claims()
    assert len(claimed) > 20
    unmatched = [f"{where}...: {number}" for where, number in claimed if not matches(number, values)]
    assert not unmatched, "README numbers not in docs/RESULTS.md:\n" + "\n".join(unmatched)
