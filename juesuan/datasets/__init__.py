"""Labelled-page format, synthetic scanned disclosures, text-layer auto-labelling, loaders."""
