"""The Lightning privates the zoo uses (zoo/training/lightning_internals.py) are all there: an
upgrade that removes or renames one fails here, naming it, before any training test misbehaves."""

from zoo.training.lightning_internals import missing_privates


def test_every_lightning_private_the_zoo_uses_exists():
    missing = missing_privates()
    assert not missing, (
        f"this Lightning lacks {', '.join(missing)}: update zoo/training/lightning_internals.py"
    )
