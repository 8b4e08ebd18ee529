"""Conformance suite for the DCC Communications Hub firmware activation alert (SECMP0024)."""

__version__ = "0.1.0"
