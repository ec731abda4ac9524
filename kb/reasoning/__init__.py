"""Inference over the graph: count reconstruction, refractory categories, conflict rules, derivations."""
