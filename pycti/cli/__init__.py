"""The ``pycti`` command line."""
