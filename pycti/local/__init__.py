"""pycti's own soft switch: the sans-I/O call model and media plane driven over a driver."""
