"""ccserver: a telephony-first contact-center server around a real Asterisk."""

__version__ = "0.1.0"
