"""Problem management and the knowledge base: the root causes behind recurring incidents, known errors and their
workarounds, recurring incidents found for you (``candidates``), the most similar articles, known errors and
resolved tickets where the work is (``similar``)."""
