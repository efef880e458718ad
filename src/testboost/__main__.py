"""``python -m testboost`` runs the command line."""

from testboost.cli import main

main()
