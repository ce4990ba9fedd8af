"""The simulated call-center demo behind ``pycti demo``."""
