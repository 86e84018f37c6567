"""`python -m steerco` runs the CLI."""

from steerco.cli import main

main()
