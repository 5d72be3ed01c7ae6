"""Architectures and thin ONNX runners (PP-PicoDet layout, PP-OCR det/rec/cls, the token classifier)."""
