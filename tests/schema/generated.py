"""Documents generated from schema/openservice.schema.json by a schema-driven generator
(hypothesis-jsonschema), checked against the schema itself (jsonschema, draft 2020-12) and then
against `ossc validate`: ossc must refuse none of them for a reason the schema could have stated.

The reasons a JSON Schema cannot state are listed in ALLOWED, each with why; every other error
fails the run with the document and the finding. The generator is derandomized, so a run is
repeatable; OSSC_SCHEMA_DOCS sets how many documents (default 40: about 3 s of CPU each).

Usage: generated.py OSSC_BINARY SCHEMA OUT_DIR
"""
import json
import os
import re
import subprocess
import sys

import jsonschema
import hypothesis.internal.conjecture.engine as engine
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis_jsonschema import from_schema

# A whole document takes more of hypothesis's choice buffer than its 8 KiB default: with it,
# most attempts overran and were dropped, and a run made 3 documents instead of 40 (seen when
# runtime.tls and health gained optional fields). The engine reads this name at run time.
engine.BUFFER_SIZE = 64 * 1024

# What a JSON Schema cannot state: (code, a regular expression on the message and help or None
# for every finding of the code, why). Everything else ossc refuses is a rule the schema should
# have said, and fails the run.
ALLOWED = [
    # references across the document, or out of it
    ("OSS013", None, "a reference to a port, endpoint, knob, credentials key or file declared elsewhere"),
    ("OSS014", r"is not a knob of this service", "a setting names a knob declared elsewhere (or in the base)"),
    ("OSS014", r"is not one of the choices of", "an enum knob's default must be one of its own `values`"),
    ("OSS014", r"^default of ", "a knob's default must lie within its own `min` and `max`"),
    ("OSS014", r"of knobs\.", "a share of another knob (`50% of knobs.heap`) names a knob declared elsewhere"),
    ("OSS029", None, "`extends` names a catalog entry or a file, which a schema cannot look up"),
    ("OSS031", None, "a patch applies to the objects ossc makes, which the schema does not describe"),
    ("OSS006", r"in `patches\.[0-9]+\.patch.* is too large", "an integer beyond 64 bits inside a patch (a patch's content is free-form, as the "
                                "objects it patches are not in the schema)"),
    # rules across fields and list items
    ("OSS012", None, "a name or path unique across a list's items (uniqueItems compares whole items)"),
    ("OSS019", None, "fields of different sections that must agree (roles and endpoints, bindings, API access)"),
    ("OSS021", None, "an SLO the replicas and quorum cannot meet (arithmetic across sections)"),
    ("OSS022", None, "a disruption budget the replicas and quorum leave no room for"),
    ("OSS023", None, "an autoscaling floor below the quorum"),
    ("OSS024", None, "autoscaling a service whose membership is fixed"),
    ("OSS027", None, "replicas outside the range the packager's rule allows"),
    ("OSS032", None, "a combination the Kubernetes output cannot express"),
    ("OSS033", None, "a cluster topology the service's availability model cannot run"),
    ("OSS034", None, "a credentials layout the generator cannot make"),
    # arithmetic on one value
    ("OSS018", r"has bits set after the prefix", "a canonical CIDR needs arithmetic on the address and the prefix"),
    ("OSS008", r"is too large", "a quantity's magnitude is its digits times its suffix"),
    ("OSS018", r"is not a schedule: the .* range `[^`]*` runs backwards", "a cron range's low end before its high end (two numbers compared)"),
    ("OSS007", r"shaped like an IP address or with two periods", "a bucket name that is not an address and has no `..`: needs negative "
                "lookaheads, which the generator does not honour"),
    ("OSS006", r"has more than four decimals", "a number's decimals (multipleOf is unreliable on binary floats)"),
    ("OSS006", r"nine digits after the point", "a number's decimals (multipleOf is unreliable on binary floats)"),
]


def allowed(diag):
    text = diag["message"] + "\n" + (diag.get("help") or "")
    return any(diag["code"] == code and (rx is None or re.search(rx, text)) for code, rx, _ in ALLOWED)


def documents(schema, count):
    """`count` documents. The root object is generated property by property (the same
    generator on each property's schema, optional ones left out at random): the root has no
    constraint across its properties, and hypothesis-jsonschema is far slower on the whole."""
    assert not {"allOf", "anyOf", "oneOf", "if", "not", "dependentRequired"} & set(schema), "the root gained a cross-property rule"
    def part(sub):
        return from_schema({"$schema": schema["$schema"], "$defs": schema["$defs"], **sub})
    required = schema.get("required", [])
    props = schema["properties"]
    strategy = st.fixed_dictionaries({k: part(props[k]) for k in required},
                                     optional={k: part(v) for k, v in props.items() if k not in required})
    docs = []

    @settings(max_examples=count, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def collect(doc):
        docs.append(doc)

    collect()
    return docs[:count]


def main():
    ossc, schema_path, out = sys.argv[1:4]
    count = int(os.environ.get("OSSC_SCHEMA_DOCS", "40"))
    schema = json.load(open(schema_path))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    os.makedirs(out, exist_ok=True)
    files = []
    for i, doc in enumerate(documents(schema, count)):
        errors = list(validator.iter_errors(doc))
        if errors:  # the generator's defect, not ossc's: said, and the document is not used
            print(f"generator: document {i} is not valid against the schema: {errors[0].message[:200]}")
            continue
        path = os.path.join(out, f"doc{i:03}.json")
        with open(path, "w") as f:
            json.dump(doc, f, indent=1)
        files.append(path)
    report = json.loads(subprocess.run([ossc, "validate", "--format", "json", *files], capture_output=True, text=True).stdout)
    accepted, refused_ok, bad = 0, 0, []
    for f in report["files"]:
        errors = [g for g in f["diagnostics"] if g["severity"] == "error"]
        if not errors:
            accepted += 1
        stated = [g for g in errors if not allowed(g)]
        if stated:
            bad.append((f["file"], stated))
        elif errors:
            refused_ok += 1
    print(f"{len(files)} schema-valid documents: {accepted} accepted, {refused_ok} refused only for reasons a schema "
          f"cannot state, {len(bad)} refused for a reason it could")
    if len(files) < count * 3 // 4:
        # a run that made few documents checked little: a failure, not a pass
        print(f"  only {len(files)} of the {count} documents asked for were made")
        return 1
    for file, stated in bad[:10]:
        for g in stated[:3]:
            loc = g.get("location") or {}
            print(f"  {file}:{loc.get('line')}:{loc.get('column')}: {g['code']} {g['message'][:160]}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
