"""The knowledge base: articles people write once and read many times."""
