"""Signal processing for boards without a DSP: pure numpy/scipy, no I/O, no clock.

Every detector and generator works on ``(channels, samples)`` arrays at ``fs_hz=8000`` and
carries its state across blocks, so a signal fed in one piece or in 160-sample pieces gives the
same events at the same sample positions.
"""
