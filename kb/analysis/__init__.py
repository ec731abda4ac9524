"""The response table model, its graph reads, the response-rate engine, statistics, networks, questions."""
