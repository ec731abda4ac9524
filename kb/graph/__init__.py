"""Where triples live: store back-ends behind one location string, loading, parameter binding, RDF export."""
