"""The definitions an mmkb FHIR export refers to, as FHIR R5 resources at their own IRIs: the caveat codes as
a `CodeSystem` (in the bundle, so every caveat coding resolves inside it) and mmkb's extensions as
`StructureDefinition`s (derivation, verification, data cut, typed unknown), served by the service at
/fhir/{type}/{id} like every resource of the bundle."""

from __future__ import annotations

from kb.analysis.endpoint_table import ALL_CAVEATS
from kb.namespaces import MM_IRI
from kb.render.fhir_codes import CAVEAT_SYSTEM, EXTENSION_BASE, JSON

CORE = "http://hl7.org/fhir/StructureDefinition/"

# Each extension: its name, what it says, and the type of its value.
EXTENSIONS = {
    "derivation": (
        "Whether the figure (or, on an element, its value) is reported by the source, derived by "
        f"arithmetic or reconstructed by mmkb: a term of {MM_IRI}DerivationScheme or "
        f"{MM_IRI}CountOriginScheme.",
        "Coding",
    ),
    "verification": (
        f"How the figure was verified (read in a public copy, or only in a secondary source): a term of "
        f"{MM_IRI}VerificationScheme.",
        "Coding",
    ),
    "data-cut": ("The data cut at which the figure was measured, as its label names it.", "string"),
    "missingness": (
        "The typed unknown that stands in place of a value the sources do not give (not reported, lost in "
        f"extraction, not reached, not estimable, not applicable): a term of {MM_IRI}MissingnessScheme. It "
        "goes with FHIR's data-absent-reason extension.",
        "Coding",
    ),
}


def caveat_code_system() -> JSON:
    """The caveat codes of the comparison tables, each with its sentence."""
    return {
        "resourceType": "CodeSystem",
        "id": "caveat",
        "url": CAVEAT_SYSTEM,
        "name": "MmkbCaveat",
        "title": "mmkb caveat codes",
        "status": "active",
        "description": "Stable codes for what a reader of a figure must know about it (small n, case series, "
        "reconstructed count, ...), as the comparison tables and the FHIR export give them.",
        "caseSensitive": True,
        "content": "complete",
        "count": len(ALL_CAVEATS),
        "concept": [{"code": code, "definition": sentence} for code, sentence in ALL_CAVEATS.items()],
    }


def extension_definitions() -> list[JSON]:
    """mmkb's extensions, each a StructureDefinition constraining Extension to one value type."""
    out = []
    for name, (definition, value_type) in EXTENSIONS.items():
        url = EXTENSION_BASE + name
        title = name.replace("-", " ")
        out.append(
            {
                "resourceType": "StructureDefinition",
                "id": name,
                "url": url,
                "name": "".join(part.capitalize() for part in name.split("-")),
                "title": f"mmkb {title}",
                "status": "active",
                "description": definition,
                "fhirVersion": "5.0.0",
                "kind": "complex-type",
                "abstract": False,
                "context": [{"type": "element", "expression": "Element"}],
                "type": "Extension",
                "baseDefinition": CORE + "Extension",
                "derivation": "constraint",
                "differential": {
                    "element": [
                        {
                            "id": "Extension",
                            "path": "Extension",
                            "short": f"mmkb {title}",
                            "definition": definition,
                        },
                        {"id": "Extension.extension", "path": "Extension.extension", "max": "0"},
                        {"id": "Extension.url", "path": "Extension.url", "fixedUri": url},
                        {
                            "id": "Extension.value[x]",
                            "path": "Extension.value[x]",
                            "min": 1,
                            "type": [{"code": value_type}],
                        },
                    ]
                },
            }
        )
    return out
