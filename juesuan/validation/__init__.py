"""Schema (table types, column fields, classification codes), accounting identities, OCR repair."""
