"""Placeholder: checks of this family are added here."""

from __future__ import annotations

from meshgen.checks.framework import Check

CHECKS: tuple[Check, ...] = ()
