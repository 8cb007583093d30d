"""What the features' commands share: the container of the `jidi` command that runs them."""
from __future__ import annotations

import click


def container():
    """The container the `jidi` command builds from the settings (built when a command first asks for it)."""
    return click.get_current_context().find_root().obj()
