"""The one exception type that the CLI reports as a single readable line (no traceback)."""


class ZooError(Exception):
    """A problem the user can fix: a bad config value, a missing dataset, an unreadable file."""
