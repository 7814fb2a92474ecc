"""`python -m meshgen` entry point."""

from meshgen.cli import main

raise SystemExit(main())
