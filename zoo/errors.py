"""The one exception type that the CLI reports as a single readable line (no traceback)."""


class ZooError(Exception):
    """A problem the user can fix: a bad config value, a missing dataset, an unreadable file.
    Its message is one line: a line break inside it (from a value the user typed) is shown as \\n."""

    def __init__(self, message: str = ""):
        super().__init__(str(message).strip().replace("\r", "\\r").replace("\n", "\\n"))
