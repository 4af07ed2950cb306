"""Developer tools run by `make check`."""
