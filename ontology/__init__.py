"""The mmkb ontology: vocabulary, concept schemes and SHACL shapes (Turtle files)."""
