"""Reference peers for pycti's tests and benchmarks (not part of the installed package).

:mod:`tests.peers.spandsp` binds the spandsp library (Debian ``libspandsp-dev`` 0.0.6) through
cffi, so that pycti's fax terminal and modems can be checked against an independent
implementation of ITU-T T.30, T.4/T.6, V.17, V.27 ter, V.29 and V.21.
"""
