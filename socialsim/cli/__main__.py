"""`python -m socialsim.cli`: how the Kafka stack starts a strategy service process."""

from socialsim.cli import main

main()
