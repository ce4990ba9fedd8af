"""Faxes across a real SIP leg: two pycti switches on 127.0.0.1, each with its own SIP driver,
G.711 RTP between them, a FaxService at each end."""
