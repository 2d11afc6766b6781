"""Entry points: the REST API, the command line and, later, stream relays."""
