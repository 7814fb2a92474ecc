"""Placeholder: commands of this module are added here."""

from __future__ import annotations

import click

COMMANDS: tuple[click.Command, ...] = ()
