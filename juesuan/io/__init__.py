"""Finding inputs, hashing, and atomic writers: nothing is ever half-written."""
