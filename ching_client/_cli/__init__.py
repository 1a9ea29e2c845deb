"""``python -m ching_client``: the command line."""
