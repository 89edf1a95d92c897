"""The CLI's one error type."""


class CliError(Exception):
    """An error the user can act on; printed without a traceback."""
