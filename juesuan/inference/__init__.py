"""Pipeline stages, one module each, in pipeline order: rasterize, layout, grid, ocr, structure, label, assemble."""
