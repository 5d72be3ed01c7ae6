"""juesuan (决算): scanned Chinese fiscal disclosures to validated, machine-readable tables."""

__version__ = "0.1.0"
