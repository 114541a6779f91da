"""Documents generated from schema/openservice.schema.json by a schema-driven generator
(hypothesis-jsonschema), checked against the schema itself (jsonschema, draft 2020-12) and then
against `ossc validate`: ossc must refuse none of them for a reason the schema could have stated.

The reasons a JSON Schema cannot state are listed in ALLOWED, each with why; every other error
fails the run with the document and the finding. The generator is derandomized, so a run is
repeatable; OSSC_SCHEMA_DOCS sets how many documents (default 40: about 3 s of CPU each).

Usage: generated.py OSSC_BINARY SCHEMA OUT_DIR
"""
import copy
import json
import os
import random
import re
import subprocess
import sys

import jsonschema
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema

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


def for_generation(schema):
    """The same schema with Runtime's `if`/`then`/`else` (stateful: `dataPath` required;
    stateless: no `dataPath`, no `volumes`) written as two explicit alternatives.
    hypothesis-jsonschema meets a conditional by generating and filtering, and refused 19 of
    20 attempts at a Runtime: a run asked for 40 documents and made 3 to 5. The documents are
    still checked against the schema as written."""
    schema = copy.deepcopy(schema)
    rt = schema["$defs"]["Runtime"]
    cond = {k: rt.pop(k) for k in ("if", "then", "else")}
    assert cond == {"if": {"properties": {"state": {"const": "stateful"}}}, "then": {"required": ["dataPath"]},
                    "else": {"not": {"required": ["dataPath"]}, "properties": {"volumes": {"maxItems": 0}}}}, \
        f"Runtime's conditional changed ({cond}): write its alternatives here again"
    states = [alt["const"] for alt in schema["$defs"]["State"]["oneOf"]]
    stateful = copy.deepcopy(rt)
    stateful["properties"]["state"] = {"const": "stateful"}
    stateful["required"] = rt["required"] + ["dataPath"]
    stateless = copy.deepcopy(rt)
    stateless["properties"]["state"] = {"enum": [x for x in states if x != "stateful"]}
    del stateless["properties"]["dataPath"]
    stateless["properties"]["volumes"] = {**rt["properties"]["volumes"], "maxItems": 0}
    schema["$defs"]["Runtime"] = {"anyOf": [stateful, stateless]}
    return schema


def documents(schema, count):
    """`count` documents, assembled property by property: each root property's values come from
    a run of the generator on that property's schema alone, and each optional property is in a
    document or not by a seeded draw (the root has no rule across its properties: asserted).
    One generator run on the whole document overran hypothesis's choice buffer on most attempts:
    a run asked for 40 documents made 3 to 11, and checked little."""
    assert not {"allOf", "anyOf", "oneOf", "if", "not", "dependentRequired"} & set(schema), "the root gained a cross-property rule"
    required = schema.get("required", [])
    values = {}
    for name, sub in schema["properties"].items():
        got = []

        @settings(max_examples=count, derandomize=True, database=None, deadline=None,
                  suppress_health_check=list(HealthCheck))
        @given(from_schema({"$schema": schema["$schema"], "$defs": schema["$defs"], **sub}))
        def collect(value):
            got.append(value)

        collect()
        assert got, f"the generator made no value of `{name}`"
        values[name] = got
    draw = random.Random(0)
    return [{name: vals[i % len(vals)] for name, vals in values.items() if name in required or draw.random() < 0.5}
            for i in range(count)]


def main():
    ossc, schema_path, out = sys.argv[1:4]
    count = int(os.environ.get("OSSC_SCHEMA_DOCS", "40"))
    schema = json.load(open(schema_path))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    os.makedirs(out, exist_ok=True)
    files = []
    for i, doc in enumerate(documents(for_generation(schema), count)):
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
