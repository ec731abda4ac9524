"""Named competency questions: one SPARQL file per question, with a title, description and returns header."""
