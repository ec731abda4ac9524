"""Checks a FHIR R5 Bundle against the official R5 definitions, for the tests of the FHIR export.

The fhir.resources models accept any string as a code and evaluate no invariant, so a bundle they accept
can still be invalid R5. `check_bundle` reads the definitions themselves and reports, one line per problem
with the FHIR path of the offending element:

1. structure: every property is an element of the resource's or datatype's StructureDefinition snapshot
   (choice elements by their type suffix), cardinality, JSON types, and primitive values against the
   primitive type's regex (a JSON number is a decimal when finite: the R5 decimal regex misreads
   exponents);
2. codes: a code under a required binding is in the value set's expansion, made from the CodeSystems in the
   definition packages (a value set that cannot be expanded from them is reported, never passed); a Coding
   whose system is a complete code system in the packages has a code that exists there, whatever the
   binding (this catches a misspelt statistic-type code under its extensible binding);
3. invariants: every error-severity constraint on the elements present (and DomainResource's dom-* on
   every resource), evaluated with fhirpathpy, except the few listed in UNEVALUATED (fhirpathpy lacks a
   function they use; a test keeps that list exact); hasValue(), which fhirpathpy lacks and ele-1 uses
   on every element, is supplied as FHIR defines it, and a failure to evaluate any other is a problem;
4. references: every Reference.reference resolves to an entry of the bundle by the Bundle resolution rules
   (absolute: the entry's fullUrl; relative Type/id: against the base of the referring entry's RESTful
   fullUrl; "#id": a contained resource); canonicals need not resolve;
5. interval order: low <= high in every Range, and low <= statistic quantity <= high for each
   Evidence.statistic.attributeEstimate range.

Where the definitions come from: the npm packages hl7.fhir.r5.core 5.0.0 (StructureDefinitions, the FHIR
value sets and code systems) and hl7.terminology.r5 7.0.1 (HL7 Terminology: the terminology.hl7.org code
systems such as statistic-type and attribute-estimate-type, which the core package references but does not
hold). Each is read straight from its .tgz, found at the path in its environment variable
(MMKB_FHIR_R5_PACKAGE, MMKB_FHIR_THO_PACKAGE) or in <repo>/.cache/fhir/, fetched there with `npm pack`
when missing, and checked against npm's sha512 integrity. Only the JSON members asked for are parsed.
`validate_models` runs the fhir.resources R5 models over the bundle and each entry's resource.
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fhirpathpy
from fhirpathpy.engine.invocations import invocation_registry
from fhirpathpy.engine.nodes import ResourceNode
from fhirpathpy.models import models as fhirpath_models

REPO = Path(__file__).resolve().parents[2]
CACHE = REPO / ".cache" / "fhir"
NPM_TIMEOUT_S = 300


@dataclass(frozen=True)
class PackageSpec:
    """One npm package of definitions: its name, version, npm integrity and where to find it."""

    name: str
    version: str
    integrity: str
    env: str

    @property
    def filename(self) -> str:
        return f"{self.name}-{self.version}.tgz"

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


R5_CORE = PackageSpec(
    "hl7.fhir.r5.core",
    "5.0.0",
    "sha512-0TvJB1KKtokn/P2mRwcqEY8v8RN8IE/pQjvtlsPaJdYaDfYx4UBhuY4afAGeQjW01p9SNYPphxAFFkEsS6P05A==",
    "MMKB_FHIR_R5_PACKAGE",
)
R5_TERMINOLOGY = PackageSpec(
    "hl7.terminology.r5",
    "7.0.1",
    "sha512-fFzOHMFKtMBX1T9O1ap/f4n506Dm6Ze7FWh9n7g6B9zEXzNyaF4HURMT2UzpNHYh3cIJuvIZZdpwizPMg5ryHA==",
    "MMKB_FHIR_THO_PACKAGE",
)
PACKAGES = (R5_CORE, R5_TERMINOLOGY)

# Error-severity invariants of Bundle, Evidence, EvidenceVariable, Group, Citation and their datatypes
# that fhirpathpy cannot evaluate, with the reason. tests/fhir/test_r5_conformance.py asserts that this is
# exactly the set of such invariants fhirpathpy lacks a function for, so it cannot grow unnoticed.
_NO_BOUNDARIES = "fhirpathpy has no lowBoundary() or highBoundary()"
UNEVALUATED: dict[str, str] = {
    "per-1": f"{_NO_BOUNDARIES} (Period: start <= end)",
    "rng-2": f"{_NO_BOUNDARIES} nor comparable() (Range: low <= high, checked here by the interval order)",
    "ratrng-2": f"{_NO_BOUNDARIES} (RatioRange: low <= high)",
    "txt-1": "fhirpathpy has no htmlChecks() (Narrative: the XHTML subset FHIR allows)",
    "txt-2": "fhirpathpy has no htmlChecks() (Narrative: non-whitespace content)",
}

SYSTEM_TYPE = "http://hl7.org/fhirpath/System."
FHIR_TYPE_EXT = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type"
REGEX_EXT = "http://hl7.org/fhir/StructureDefinition/regex"
CODED_TYPES = ("code", "Coding", "CodeableConcept", "CodeableReference")
NUMBER_PRIMITIVES = {"integer", "positiveInt", "unsignedInt", "decimal"}
MEMBER = re.compile(r"package/(StructureDefinition|ValueSet|CodeSystem)-([^/]+)\.json")


class DefinitionsUnavailable(Exception):
    """A definitions package cannot be had: the message is one line naming what to do."""


class CannotExpand(Exception):
    """A value set whose codes the definition packages do not enumerate."""


# -- the packages --------------------------------------------------------------------------------------


def integrity_of(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode("ascii")


def package_path(spec: PackageSpec, fetch: bool = True) -> Path:
    """The verified .tgz of one package: from its environment variable, else the cache, fetched there with
    `npm pack` when missing. Raises DefinitionsUnavailable with a one-line message naming what to do."""
    configured = os.environ.get(spec.env)
    path = Path(configured) if configured else CACHE / spec.filename
    if not path.is_file():
        if configured:
            raise DefinitionsUnavailable(
                f"{spec.env}={configured} is not a file: point it at {spec.filename} (npm pack {spec.spec})"
            )
        if not fetch:
            raise DefinitionsUnavailable(f"{path} is missing: run scripts/test or npm pack {spec.spec}")
        _npm_pack(spec, path)
    found = integrity_of(path)
    if found != spec.integrity:
        raise DefinitionsUnavailable(
            f"{path} is not {spec.spec} (sha512 integrity {found[:27]}...,"
            f" expected {spec.integrity[:27]}...): delete it and run scripts/test or npm pack {spec.spec}"
        )
    return path


def _npm_pack(spec: PackageSpec, path: Path) -> None:
    npm = shutil.which("npm")
    hint = f"run scripts/test, or npm pack {spec.spec} --pack-destination {path.parent}, or set {spec.env}"
    if npm is None:
        raise DefinitionsUnavailable(f"{path} is missing and npm is not installed: {hint}")
    path.parent.mkdir(parents=True, exist_ok=True)
    # Into a fresh folder first, then one rename: parallel test workers may fetch at the same time.
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".fetch-") as scratch:
        try:
            done = subprocess.run(
                [npm, "pack", spec.spec, "--pack-destination", scratch],
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise DefinitionsUnavailable(
                f"npm pack {spec.spec} took over {NPM_TIMEOUT_S} s: {hint}"
            ) from None
        fetched = Path(scratch) / spec.filename
        if done.returncode != 0 or not fetched.is_file():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise DefinitionsUnavailable(f"npm pack {spec.spec} failed ({last}): {hint}")
        os.replace(fetched, path)


class Package:
    """The StructureDefinitions, ValueSets and CodeSystems of one package .tgz, read in one pass and parsed
    one member at a time when first asked for."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._raw: dict[tuple[str, str], bytes] = {}
        self._parsed: dict[tuple[str, str], dict[str, Any]] = {}
        self._by_url: dict[str, dict[str, tuple[str, str]]] = {}
        with tarfile.open(path, "r:gz") as tar:
            for member in tar:
                match = MEMBER.fullmatch(member.name)
                if match and member.isfile():
                    handle = tar.extractfile(member)
                    if handle is not None:
                        self._raw[(match[1], match[2])] = handle.read()

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        key = (kind, name)
        if key not in self._parsed:
            raw = self._raw.get(key)
            if raw is None:
                return None
            self._parsed[key] = json.loads(raw)
        return self._parsed[key]

    def by_url(self, kind: str, url: str) -> dict[str, Any] | None:
        """The resource of this kind with this canonical url: first the member named by the url's last
        segment (the packages' usual naming), else an index of every member of the kind, built once."""
        guess = self.get(kind, url.rstrip("/").rsplit("/", 1)[-1])
        if guess is not None and guess.get("url") == url:
            return guess
        if kind not in self._by_url:
            index: dict[str, tuple[str, str]] = {}
            for key in [k for k in self._raw if k[0] == kind]:
                resource = self.get(*key)
                if resource is not None and isinstance(resource.get("url"), str):
                    index.setdefault(resource["url"], key)
            self._by_url[kind] = index
        found = self._by_url[kind].get(url)
        return self.get(*found) if found else None


# -- the definitions ----------------------------------------------------------------------------------


@dataclass
class Child:
    """An element as it appears in JSON under its parent: the definition and, for a choice element, the
    type its JSON name selects."""

    element: dict[str, Any]
    type: str | None


@dataclass
class Structure:
    """A StructureDefinition's snapshot, indexed by element path and by JSON name under each parent."""

    type: str
    kind: str
    base: str | None
    elements: dict[str, dict[str, Any]]
    children: dict[str, dict[str, Child]] = field(default_factory=dict)
    regex: re.Pattern[str] | None = None

    @classmethod
    def of(cls, definition: dict[str, Any]) -> Structure:
        elements: dict[str, dict[str, Any]] = {}
        children: dict[str, dict[str, Child]] = {}
        regex = None
        for element in definition["snapshot"]["element"]:
            if "sliceName" in element:
                continue
            path = element["path"]
            elements[path] = element
            if "." not in path:
                continue
            parent, name = path.rsplit(".", 1)
            named = children.setdefault(parent, {})
            if name.endswith("[x]"):
                for type_ in element.get("type", []):
                    code = type_["code"]
                    named[name[:-3] + code[0].upper() + code[1:]] = Child(element, code)
            else:
                named[name] = Child(element, None)
            if definition.get("kind") == "primitive-type" and name == "value":
                for type_ in element.get("type", []):
                    for extension in type_.get("extension", []):
                        if extension.get("url") == REGEX_EXT:
                            regex = re.compile(extension["valueString"])
        base = definition.get("baseDefinition")
        return cls(
            type=definition["type"],
            kind=definition["kind"],
            base=base.rsplit("/", 1)[-1] if base else None,
            elements=elements,
            children=children,
            regex=regex,
        )


@dataclass(frozen=True)
class CodeSystemInfo:
    url: str
    content: str
    codes: frozenset[str]
    parents: dict[str, frozenset[str]]

    def descendants(self, code: str) -> set[str]:
        found: set[str] = set()
        frontier = {code}
        while frontier:
            frontier = {c for c in self.codes if self.parents.get(c, frozenset()) & frontier} - found
            found |= frontier
        return found


class R5Definitions:
    """The R5 definitions of the core and terminology packages, parsed as they are asked for."""

    def __init__(self, core: Package, terminology: Package) -> None:
        self.core = core
        self.terminology = terminology
        self._structures: dict[str, Structure | None] = {}
        self._code_systems: dict[str, CodeSystemInfo | None] = {}
        self._expansions: dict[str, frozenset[tuple[str | None, str]]] = {}

    @classmethod
    def load(cls, fetch: bool = True) -> R5Definitions:
        core, terminology = (Package(package_path(spec, fetch)) for spec in PACKAGES)
        return cls(core, terminology)

    def structure(self, type_name: str) -> Structure | None:
        if type_name not in self._structures:
            definition = self.core.get("StructureDefinition", type_name)
            self._structures[type_name] = Structure.of(definition) if definition else None
        return self._structures[type_name]

    def is_resource_type(self, type_name: str) -> bool:
        structure = self.structure(type_name)
        return structure is not None and structure.kind == "resource" and structure.type == type_name

    def code_system(self, url: str) -> CodeSystemInfo | None:
        """A code system of the packages: HL7 Terminology's own from the terminology package, the rest
        from the core package (each falls back to the other)."""
        if url not in self._code_systems:
            order = [self.core, self.terminology]
            if url.startswith("http://terminology.hl7.org/"):
                order.reverse()
            definition = next(
                (found for package in order if (found := package.by_url("CodeSystem", url))), None
            )
            self._code_systems[url] = _code_system_info(definition) if definition else None
        return self._code_systems[url]

    def value_set(self, url: str) -> dict[str, Any] | None:
        order = [self.core, self.terminology]
        if url.startswith("http://terminology.hl7.org/"):
            order.reverse()
        return next((found for package in order if (found := package.by_url("ValueSet", url))), None)

    def expand(self, canonical: str) -> frozenset[tuple[str | None, str]]:
        """The (system, code) pairs of a value set, from its compose and the packages' code systems.
        Raises CannotExpand naming why for one the packages do not enumerate."""
        url = canonical.split("|", 1)[0]
        if url not in self._expansions:
            value_set = self.value_set(url)
            if value_set is None:
                raise CannotExpand(f"value set {url} is not in the definition packages")
            compose = value_set.get("compose")
            if not compose:
                raise CannotExpand(f"value set {url} has no compose to expand")
            codes: set[tuple[str | None, str]] = set()
            for include in compose.get("include", []):
                codes |= self._include(url, include)
            for exclude in compose.get("exclude", []):
                codes -= self._include(url, exclude)
            self._expansions[url] = frozenset(codes)
        return self._expansions[url]

    def _include(self, url: str, include: dict[str, Any]) -> set[tuple[str | None, str]]:
        system = include.get("system")
        selected: set[tuple[str | None, str]] | None = None
        for other in include.get("valueSet", []):
            codes = set(self.expand(other))
            selected = codes if selected is None else selected & codes
        if system is None:
            if selected is None:
                raise CannotExpand(f"value set {url} has an include with neither system nor valueSet")
            return selected
        if "concept" in include:
            from_system = {(system, concept["code"]) for concept in include["concept"]}
        else:
            code_system = self.code_system(system)
            if code_system is None:
                raise CannotExpand(
                    f"value set {url} includes all of {system}, whose codes the definition packages"
                    " do not enumerate"
                )
            if code_system.content != "complete":
                raise CannotExpand(
                    f"value set {url} includes {system}, which the packages hold only as"
                    f" {code_system.content!r} content"
                )
            pool = set(code_system.codes)
            for filter_ in include.get("filter", []):
                op, value = filter_.get("op"), filter_.get("value")
                if filter_.get("property") == "concept" and op == "is-a":
                    pool &= {value} | code_system.descendants(value)
                elif filter_.get("property") == "concept" and op == "descendent-of":
                    pool &= code_system.descendants(value)
                else:
                    raise CannotExpand(
                        f"value set {url} filters {system} by {filter_.get('property')} {op} {value},"
                        " which this checker does not evaluate"
                    )
            from_system = {(system, code) for code in pool}
        return from_system if selected is None else from_system & selected


def _code_system_info(definition: dict[str, Any]) -> CodeSystemInfo:
    codes: set[str] = set()
    parents: dict[str, set[str]] = {}

    def visit(concepts: Iterable[dict[str, Any]], parent: str | None) -> None:
        for concept in concepts:
            code = concept["code"]
            codes.add(code)
            if parent is not None:
                parents.setdefault(code, set()).add(parent)
            for prop in concept.get("property", []):
                if prop.get("code") in ("parent", "subsumedBy") and "valueCode" in prop:
                    parents.setdefault(code, set()).add(prop["valueCode"])
            visit(concept.get("concept", []), code)

    visit(definition.get("concept", []), None)
    return CodeSystemInfo(
        url=definition["url"],
        content=definition.get("content", "complete"),
        codes=frozenset(codes),
        parents={code: frozenset(above) for code, above in parents.items()},
    )


# -- invariants ----------------------------------------------------------------------------------------

_STRING_LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'")
_FUNCTION = re.compile(r"(?:(\.)|(?<![\w%$.]))([A-Za-z_]\w*)\s*\(")
# Operators that a parenthesis may follow without making them a call: "type in ('document' | ...)".
_OPERATORS = frozenset({"and", "or", "xor", "implies", "in", "contains", "div", "mod", "is", "as"})
_FHIRPATH_MODEL = fhirpath_models["r5"]


def _has_value(inputs: list[Any]) -> bool:
    """FHIR's hasValue(): the input is one primitive that has a value (not only extensions)."""
    return len(inputs) == 1 and inputs[0] is not None and not isinstance(inputs[0], dict | list)


# fhirpathpy 2.2 lacks hasValue(), which ele-1 (on every element) and bdl-10 use; it is supplied here as
# FHIR defines it. The trace() that ref-1 calls is silenced.
_FHIRPATH_OPTIONS: dict[str, Any] = {
    "userInvocationTable": {"hasValue": {"fn": _has_value, "arity": {0: []}}},
    "traceFn": lambda *_: None,
}
KNOWN_FUNCTIONS = frozenset(invocation_registry) | frozenset(_FHIRPATH_OPTIONS["userInvocationTable"])


def missing_functions(expression: str) -> list[str]:
    """The functions an expression calls that fhirpathpy (with hasValue() added) does not implement."""
    bare = _STRING_LITERAL.sub("''", expression)
    called = {name for dot, name in _FUNCTION.findall(bare) if dot or name not in _OPERATORS}
    return sorted(called - KNOWN_FUNCTIONS)


@dataclass
class _Unparsed:
    """An expression fhirpathpy could not parse: each evaluation raises the parse error again."""

    error: Exception

    def __call__(self, *_: Any) -> list[Any]:
        raise self.error


class Invariants:
    """Compiled constraint expressions, each parsed once."""

    def __init__(self) -> None:
        self._compiled: dict[str, Any] = {}

    def evaluate(
        self, expression: str, node: Any, type_path: str, extra: Any, resource: Any, root: Any
    ) -> list[Any]:
        """The expression's value on one element: a complex value, or a primitive's value with its
        _-companion (id, extension); a primitive with no value is its companion alone."""
        compiled = self._compiled.get(expression)
        if compiled is None:
            try:
                compiled = fhirpathpy.compile(expression, _FHIRPATH_MODEL, _FHIRPATH_OPTIONS)
            except Exception as error:  # what fhirpathpy raises on a parse failure varies
                compiled = _Unparsed(error)
            self._compiled[expression] = compiled
        if node is None:
            focus = ResourceNode.create_node(extra or {}, type_path)
        else:
            focus = ResourceNode.create_node(_with_bare_primitives(node), type_path, extra)
        return list(compiled(focus, {"resource": resource, "rootResource": root}))


def _with_bare_primitives(node: Any) -> Any:
    """The node with a null value beside each primitive that has only its _-companion (extensions, as
    with a data-absent-reason): fhirpathpy's children() skips such a primitive otherwise, and ele-1 would
    fail on an element whose only child it is."""
    if not isinstance(node, dict) or not any(k.startswith("_") and k[1:] not in node for k in node):
        return node
    filled = dict(node)
    for key, extra in node.items():
        if key.startswith("_") and key[1:] not in node:
            filled[key[1:]] = [None] * len(extra) if isinstance(extra, list) else None
    return filled


# -- the walk ------------------------------------------------------------------------------------------


@dataclass
class Resource:
    """A resource being checked: where it is, and the data the invariants' %resource and %rootResource
    name."""

    data: dict[str, Any]
    root: dict[str, Any]
    full_url: str | None


@dataclass
class Reference:
    path: str
    reference: str
    resource: Resource


@dataclass
class Checker:
    definitions: R5Definitions
    invariants: Invariants
    problems: list[str] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    # Unknown codes by the path of their Coding: a Coding is met both as itself and as part of the
    # CodeableConcept that carries the binding, and the message naming the binding wins.
    unknown_codes: dict[str, str] = field(default_factory=dict)

    def report(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    # resources

    def resource(self, data: Any, path: str, root: dict[str, Any] | None, full_url: str | None) -> None:
        if not isinstance(data, dict):
            self.report(path, "a resource must be a JSON object")
            return
        type_name = data.get("resourceType")
        if not isinstance(type_name, str) or not self.definitions.is_resource_type(type_name):
            self.report(path, f"resourceType {type_name!r} is not an R5 resource type")
            return
        structure = self.definitions.structure(type_name)
        assert structure is not None
        here = Resource(data, root if root is not None else data, full_url)
        inherited = self._inherited_constraints(structure)
        self.complex(data, structure, type_name, path, here, inherited, is_resource=True)
        if type_name == "Evidence":
            self.statistic_intervals(data, path)

    def _inherited_constraints(self, structure: Structure) -> list[dict[str, Any]]:
        """Error constraints on the root elements of a resource's base definitions (DomainResource's dom-*),
        which some R5 snapshots do not repeat."""
        found: list[dict[str, Any]] = []
        base = structure.base
        while base:
            parent = self.definitions.structure(base)
            if parent is None:
                break
            found.extend(parent.elements[parent.type].get("constraint", []))
            base = parent.base
        return found

    # complex values

    def complex(
        self,
        node: Any,
        structure: Structure,
        element_path: str,
        path: str,
        resource: Resource,
        constraints: list[dict[str, Any]],
        is_resource: bool = False,
    ) -> None:
        if not isinstance(node, dict):
            self.report(path, f"expected a JSON object ({element_path}), found {_kind(node)}")
            return
        children = structure.children.get(element_path, {})
        counted: dict[str, int] = {}
        present: dict[str, list[str]] = {}
        for key, value in node.items():
            if key == "resourceType" and is_resource:
                continue
            if key.startswith("_"):
                child = children.get(key[1:])
                if child is None or not self._is_primitive(child):
                    self.report(
                        f"{path}.{key}", f"unknown element: {element_path} has no primitive {key[1:]}"
                    )
                continue
            child = children.get(key)
            if child is None:
                self.report(f"{path}.{key}", f"unknown element: {element_path} has no element {key!r}")
                continue
            definition_path = child.element["path"]
            present.setdefault(definition_path, []).append(key)
            counted[definition_path] = counted.get(definition_path, 0) + self.items(
                node, key, value, child, structure, f"{path}.{key}", resource
            )
        for key in node:
            if key.startswith("_") and key[1:] not in node and key[1:] in children:
                child = children[key[1:]]
                if self._is_primitive(child):
                    definition_path = child.element["path"]
                    present.setdefault(definition_path, []).append(key[1:])
                    counted[definition_path] = counted.get(definition_path, 0) + self.items(
                        node, key[1:], None, child, structure, f"{path}.{key[1:]}", resource
                    )
        self._cardinality(children, counted, present, path)
        own = structure.elements.get(element_path, {}).get("constraint", [])
        self.constraints(node, None, element_path, path, resource, [*constraints, *own])

    def _cardinality(
        self, children: dict[str, Child], counted: dict[str, int], present: dict[str, list[str]], path: str
    ) -> None:
        seen: set[str] = set()
        for child in children.values():
            element = child.element
            definition_path = element["path"]
            if definition_path in seen:
                continue
            seen.add(definition_path)
            name = definition_path.rsplit(".", 1)[-1]
            count = counted.get(definition_path, 0)
            if count < element.get("min", 0):
                self.report(
                    f"{path}.{name}",
                    f"missing required element {definition_path} (min {element['min']}, found {count})",
                )
            maximum = element.get("max", "*")
            if len(present.get(definition_path, [])) > 1:
                variants = ", ".join(present[definition_path])
                self.report(f"{path}.{name}", f"more than one type given for {definition_path}: {variants}")
            elif maximum != "*" and count > int(maximum):
                self.report(f"{path}.{name}", f"{definition_path} allows at most {maximum}, found {count}")

    def _is_primitive(self, child: Child) -> bool:
        type_name = self._type_of(child)
        if type_name is None:
            return False
        structure = self.definitions.structure(type_name)
        return structure is not None and structure.kind == "primitive-type"

    def _type_of(self, child: Child) -> str | None:
        if child.type is not None:
            return child.type
        types = child.element.get("type", [])
        if not types:
            return None
        code: str = types[0]["code"]
        if code.startswith(SYSTEM_TYPE):
            for extension in types[0].get("extension", []):
                if extension.get("url") == FHIR_TYPE_EXT:
                    return str(extension["valueUrl"]).rsplit("/", 1)[-1]
            return "string"
        return code

    def items(
        self,
        parent: dict[str, Any],
        key: str,
        value: Any,
        child: Child,
        structure: Structure,
        path: str,
        resource: Resource,
    ) -> int:
        """Checks the value(s) of one JSON property and returns how many items count toward cardinality."""
        element = child.element
        repeating = element.get("max", "*") != "1"
        extras = parent.get("_" + key)
        if repeating:
            if value is not None and not isinstance(value, list):
                self.report(path, f"{element['path']} repeats: its JSON value must be an array")
                value = [value]
            values = list(value or [])
            if extras is not None and not isinstance(extras, list):
                self.report(f"{path[: -len(key)]}_{key}", "must be an array aligned with the values")
                extras = None
            extras_list = list(extras or [])
            length = max(len(values), len(extras_list))
            if len(values) and len(extras_list) and len(values) != len(extras_list):
                self.report(path, f"the arrays {key} and _{key} differ in length")
            count = 0
            for index in range(length):
                item = values[index] if index < len(values) else None
                extra = extras_list[index] if index < len(extras_list) else None
                if item is None and extra is None:
                    self.report(f"{path}[{index}]", "null in an array with no matching _ element")
                    continue
                count += 1
                self.item(item, extra, child, structure, f"{path}[{index}]", resource, parent)
            if length == 0:
                self.report(path, "an empty array is not allowed: leave the property out")
            return count
        if isinstance(value, list):
            self.report(path, f"{element['path']} does not repeat (max 1): found an array")
            return len(value)
        if value is None and key in parent:
            self.report(path, "null is not allowed for a single value: leave the property out")
            if extras is None:
                return 0
        if isinstance(extras, list):
            self.report(path, f"_{key} must be an object: {element['path']} does not repeat")
            extras = None
        self.item(value, extras, child, structure, path, resource, parent)
        return 1

    def item(
        self,
        value: Any,
        extra: Any,
        child: Child,
        structure: Structure,
        path: str,
        resource: Resource,
        parent: dict[str, Any],
    ) -> None:
        element = child.element
        constraints = element.get("constraint", [])
        reference = element.get("contentReference")
        if reference:
            target = reference.split("#", 1)[1]
            self.complex(value, structure, target, path, resource, constraints)
            return
        type_name = self._type_of(child)
        if type_name is None:
            self.report(path, f"{element['path']} has no type in its definition")
            return
        if type_name == "Resource":
            if element["path"] == "Bundle.entry.resource":
                # An entry's resource stands on its own: itself as %resource and %rootResource, its
                # entry's fullUrl the base of its relative references.
                full_url = parent.get("fullUrl")
                self.resource(
                    value, path + _label(value), None, full_url if isinstance(full_url, str) else None
                )
            else:
                # A contained resource: its container is %rootResource and lends it its fullUrl.
                self.resource(value, path + _label(value), resource.root, resource.full_url)
            return
        if type_name in ("BackboneElement", "Element") and element["path"] != type_name:
            self.complex(value, structure, element["path"], path, resource, constraints)
            return
        datatype = self.definitions.structure(type_name)
        if datatype is None:
            self.report(path, f"type {type_name} of {element['path']} is not in the definitions")
            return
        if datatype.kind == "primitive-type":
            self.primitive(value, extra, type_name, datatype, path, resource, constraints)
        else:
            self.complex(value, datatype, type_name, path, resource, constraints)
            if type_name == "Reference" and isinstance(value, dict):
                target = value.get("reference")
                if isinstance(target, str):
                    self.references.append(Reference(f"{path}.reference", target, resource))
            if type_name == "Range" and isinstance(value, dict):
                self.range_order(value, path)
        self.codes(value, element, type_name, path)

    def primitive(
        self,
        value: Any,
        extra: Any,
        type_name: str,
        datatype: Structure,
        path: str,
        resource: Resource,
        constraints: list[dict[str, Any]],
    ) -> None:
        if extra is not None:
            element_type = self.definitions.structure("Element")
            assert element_type is not None
            self.complex(extra, element_type, "Element", _companion(path), resource, [])
        if value is None:
            self.constraints(
                None, extra if isinstance(extra, dict) else {}, type_name, path, resource, constraints
            )
            return
        if not _json_type_ok(type_name, value):
            self.report(
                path, f"{type_name} value {json.dumps(value)} has the wrong JSON type ({_kind(value)})"
            )
            return
        if isinstance(value, float):
            # A JSON number is a decimal when finite. Its text is the writer's, not Python's repr, and
            # the R5 decimal regex misreads every exponent ("[0-9]{1,9}}"), so it is not applied here.
            if not math.isfinite(value):
                self.report(path, f"{type_name} value {value} is not a finite number")
                return
        elif datatype.regex is not None and not datatype.regex.fullmatch(_lexical(value)):
            self.report(path, f"{type_name} value {json.dumps(value)} does not match the {type_name} regex")
            return
        self.constraints(
            value, extra if isinstance(extra, dict) else {}, type_name, path, resource, constraints
        )

    # codes

    def codes(self, value: Any, element: dict[str, Any], type_name: str, path: str) -> None:
        binding = element.get("binding") or {}
        strength = binding.get("strength")
        value_set = binding.get("valueSet")
        if type_name == "CodeableReference" and isinstance(value, dict):
            value, type_name, path = value.get("concept"), "CodeableConcept", f"{path}.concept"
        if type_name == "code":
            if strength == "required" and value_set and isinstance(value, str):
                self.required_code(value, value_set, path)
            return
        codings: list[tuple[str, Any]] = []
        if type_name == "Coding":
            codings = [(path, value)]
        elif type_name == "CodeableConcept" and isinstance(value, dict):
            codings = [(f"{path}.coding[{i}]", c) for i, c in enumerate(value.get("coding") or [])]
        else:
            return
        codings = [(p, c) for p, c in codings if isinstance(c, dict)]
        if strength == "required" and value_set:
            self.required_codings(codings, value_set, path)
        for coding_path, coding in codings:
            self.known_code(coding, coding_path, strength if value_set else None, value_set)

    def required_code(self, code: str, value_set: str, path: str) -> None:
        url = value_set.split("|", 1)[0]
        try:
            expansion = self.definitions.expand(value_set)
        except CannotExpand as reason:
            self.report(path, f'code "{code}" cannot be checked against {url} (required binding): {reason}')
            return
        if code not in {c for _, c in expansion}:
            self.report(path, f'code "{code}" is not in {url} (required binding)')

    def required_codings(self, codings: list[tuple[str, Any]], value_set: str, path: str) -> None:
        url = value_set.split("|", 1)[0]
        try:
            expansion = self.definitions.expand(value_set)
        except CannotExpand as reason:
            self.report(path, f"codes cannot be checked against {url} (required binding): {reason}")
            return
        if not any((c.get("system"), c.get("code")) in expansion for _, c in codings):
            given = ", ".join(f"{c.get('system')}|{c.get('code')}" for _, c in codings) or "no coding"
            self.report(path, f"no coding is in {url} (required binding): {given}")

    def known_code(self, coding: dict[str, Any], path: str, strength: str | None, value_set: Any) -> None:
        system, code = coding.get("system"), coding.get("code")
        if not isinstance(system, str) or not isinstance(code, str):
            return
        code_system = self.definitions.code_system(system)
        if code_system is None or code_system.content != "complete" or code in code_system.codes:
            return
        if strength:
            url = str(value_set).split("|", 1)[0]
            self.unknown_codes[path] = f'code "{code}" is not in {url} ({strength} binding, system {system})'
        else:
            self.unknown_codes.setdefault(path, f'code "{code}" is not defined in code system {system}')

    # invariants

    def constraints(
        self,
        node: Any,
        extra: dict[str, Any] | None,
        type_path: str,
        path: str,
        resource: Resource,
        constraints: list[dict[str, Any]],
    ) -> None:
        done: set[str] = set()
        for constraint in constraints:
            key = constraint.get("key", "")
            if constraint.get("severity") != "error" or key in done or key in UNEVALUATED:
                continue
            done.add(key)
            expression = constraint.get("expression")
            if not expression:
                continue
            try:
                result = self.invariants.evaluate(
                    expression, node, type_path, extra, resource.data, resource.root
                )
            except Exception as error:
                reason = str(error).splitlines()[0] if str(error) else type(error).__name__
                self.report(path, f"invariant {key} could not be evaluated ({reason}): {expression}")
                continue
            if result == [False]:
                self.report(path, f"invariant {key} violated: {constraint.get('human', '')}")

    # intervals

    def range_order(self, value: dict[str, Any], path: str) -> None:
        low, high = _number(value.get("low")), _number(value.get("high"))
        if low is not None and high is not None and _same_unit(value["low"], value["high"]) and low > high:
            self.report(path, f"range low {low} is above high {high}")

    def statistic_intervals(self, evidence: dict[str, Any], path: str) -> None:
        for index, statistic in enumerate(evidence.get("statistic") or []):
            if not isinstance(statistic, dict):
                continue
            quantity = statistic.get("quantity")
            estimate = _number(quantity)
            if estimate is None:
                continue
            for inner, attribute in enumerate(statistic.get("attributeEstimate") or []):
                span = attribute.get("range") if isinstance(attribute, dict) else None
                if not isinstance(span, dict):
                    continue
                where = f"{path}.statistic[{index}].attributeEstimate[{inner}].range"
                low, high = _number(span.get("low")), _number(span.get("high"))
                if low is not None and _same_unit(span["low"], quantity) and low > estimate:
                    self.report(where, f"range low {low} is above the statistic's quantity {estimate}")
                if high is not None and _same_unit(span["high"], quantity) and high < estimate:
                    self.report(where, f"range high {high} is below the statistic's quantity {estimate}")


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number"
    )


def _label(value: Any) -> str:
    if isinstance(value, dict):
        type_name, id_ = value.get("resourceType"), value.get("id")
        if type_name and id_:
            return f"({type_name}/{id_})"
        if type_name:
            return f"({type_name})"
    return ""


def _companion(path: str) -> str:
    head, _, last = path.rpartition(".")
    return f"{head}._{last}" if head else f"_{last}"


def _json_type_ok(type_name: str, value: Any) -> bool:
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name in NUMBER_PRIMITIVES:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return False
        return type_name == "decimal" or isinstance(value, int)
    return isinstance(value, str)


def _lexical(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(quantity: Any) -> float | None:
    if isinstance(quantity, dict):
        value = quantity.get("value")
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    return None


def _same_unit(one: dict[str, Any], other: Any) -> bool:
    """Two quantities can be ordered when neither names a unit or both name the same one."""
    if not isinstance(other, dict):
        return False

    def unit(quantity: dict[str, Any]) -> tuple[Any, Any]:
        return (quantity.get("system"), quantity.get("code") or quantity.get("unit"))

    return unit(one) == unit(other) or unit(one) == (None, None) or unit(other) == (None, None)


# -- references ----------------------------------------------------------------------------------------

_HISTORY = re.compile(r"/_history/[A-Za-z0-9\-.]{1,64}$")
# The FHIR RESTful URL: an optional http(s) base, then Type/id (a version is taken off first).
_RESTFUL_TAIL = re.compile(
    r"(?P<base>(?:https?://(?:[A-Za-z0-9\-\\.:%$]*/)+)?)"
    r"(?P<type>[A-Z][A-Za-z]+)/(?P<id>[A-Za-z0-9\-.]{1,64})"
)


def _restful(url: str, definitions: R5Definitions) -> re.Match[str] | None:
    match = _RESTFUL_TAIL.fullmatch(_HISTORY.sub("", url))
    if match and definitions.is_resource_type(match["type"]):
        return match
    return None


def resolve_references(
    references: list[Reference], entries: list[Any], definitions: R5Definitions
) -> Iterator[str]:
    """A problem for each reference that does not resolve inside the bundle (FHIR R5, Bundle: resolving
    references in bundles)."""
    by_full_url: dict[str, list[dict[str, Any]]] = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("fullUrl"), str):
            by_full_url.setdefault(entry["fullUrl"], []).append(entry)
    for found in references:
        target = found.reference
        if target.startswith("#"):
            contained = {
                c.get("id") for c in found.resource.root.get("contained") or [] if isinstance(c, dict)
            }
            if target != "#" and target[1:] not in contained:
                yield f'{found.path}: reference "{target}" names no contained resource'
            continue
        version = _HISTORY.search(target)
        bare = _HISTORY.sub("", target)
        if re.match(r"[A-Za-z][A-Za-z0-9+.\-]*:", bare):
            absolute = bare
        else:
            entry_url = found.resource.full_url
            home = _restful(entry_url, definitions) if entry_url else None
            if not _restful(bare, definitions):
                yield f'{found.path}: reference "{target}" is neither an absolute URL nor Type/id'
                continue
            if home is None:
                yield (
                    f'{found.path}: reference "{target}" does not resolve inside the bundle: a relative'
                    f" reference resolves against the referring entry's RESTful fullUrl, and"
                    f" {entry_url or 'no fullUrl'} is not one"
                )
                continue
            absolute = home["base"] + bare
        matches = by_full_url.get(absolute, [])
        if version is not None:
            wanted = version[0].rsplit("/", 1)[-1]
            matches = [
                m for m in matches if ((m.get("resource") or {}).get("meta") or {}).get("versionId") == wanted
            ]
        if not matches:
            shown = f" ({absolute})" if absolute != target else ""
            yield f'{found.path}: reference "{target}"{shown} does not resolve to an entry of the bundle'
        elif len(matches) > 1:
            yield f'{found.path}: reference "{target}" matches {len(matches)} entries of the bundle'


# -- the API -------------------------------------------------------------------------------------------

_INVARIANTS = Invariants()


def check_bundle(bundle: dict[str, Any], definitions: R5Definitions) -> list[str]:
    """Every problem of an R5 Bundle against the definitions, one readable line each, led by its path."""
    checker = Checker(definitions, _INVARIANTS)
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        return ['Bundle: not a Bundle (resourceType must be "Bundle")']
    checker.resource(bundle, "Bundle", None, None)
    entries: list[Any] = bundle["entry"] if isinstance(bundle.get("entry"), list) else []
    checker.problems += [f"{path}: {message}" for path, message in checker.unknown_codes.items()]
    checker.problems += resolve_references(checker.references, entries, definitions)
    return _unique(checker.problems)


def _unique(problems: list[str]) -> list[str]:
    return list(dict.fromkeys(problems))


def validate_models(bundle: dict[str, Any]) -> list[str]:
    """The errors the fhir.resources R5 models find in the bundle and in each entry's resource."""
    from fhir.resources import get_fhir_model_class
    from fhir.resources.bundle import Bundle
    from pydantic import ValidationError

    errors: list[str] = []

    def run(model: Any, data: Any, where: str) -> None:
        try:
            model.model_validate(data)
        except ValidationError as error:
            for detail in error.errors():
                location = ".".join(str(part) for part in detail["loc"])
                errors.append(f"{where}: {location}: {detail['msg']}")
        except (ValueError, TypeError, KeyError) as error:
            errors.append(f"{where}: {error}")

    run(Bundle, bundle, "Bundle")
    for index, entry in enumerate(bundle.get("entry") or []):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict):
            continue
        where = f"Bundle.entry[{index}].resource{_label(resource)}"
        try:
            model = get_fhir_model_class(str(resource.get("resourceType")))
        except (KeyError, ValueError) as error:
            errors.append(f"{where}: {error}")
            continue
        run(model, resource, where)
    return errors
