"""`python -m miner` runs the command line."""

from miner.cli.main import main

main()
