"""The viewer's error, importable without pygame (the command line catches it)."""


class ViewerError(RuntimeError):
    """No window could be opened (no display, no video driver): the message says what to do."""
