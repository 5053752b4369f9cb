"""Anonymous figures for the networks: counts per network and month, small cells suppressed."""
