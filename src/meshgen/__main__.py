"""`python -m meshgen` entry point."""

from meshgen.cli import console

console()
