"""``python -m groundwork``."""

from groundwork.cli import main

main()
