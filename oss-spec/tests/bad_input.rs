//! Every kind of bad input gets a located diagnostic with a code and a fix, and several errors
//! in one file are all reported.

#![allow(clippy::unwrap_used)]

use oss_spec::{Code, Failure, Options, parse, parse_with};

const GOOD: &str = include_str!("../../specs/cassandra.yaml");

fn fail(text: &str) -> Failure {
    parse("t.yaml", text).expect_err("input should be refused")
}

/// (code, "line:col") of every finding.
fn found(f: &Failure) -> Vec<(Code, String)> {
    f.diagnostics
        .iter()
        .map(|d| {
            let span = d.span.expect("every finding is located");
            let loc = f.sources.location(span);
            assert!(d.help.as_deref().is_some_and(|h| !h.is_empty()), "no help for {d:?}");
            assert!(d.message.chars().next().is_some_and(|c| !c.is_uppercase()), "message not lowercase: {}", d.message);
            (d.code, loc.split_once(':').map(|(_, lc)| lc.to_owned()).unwrap_or_default())
        })
        .collect()
}

fn replace(from: &str, to: &str) -> String {
    assert!(GOOD.contains(from), "fixture drifted: {from}");
    GOOD.replacen(from, to, 1)
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).expect("needle") + 1
}

#[test]
fn the_catalog_spec_is_valid() {
    let loaded = parse("specs/cassandra.yaml", GOOD).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(loaded.spec.redundancy.replicas, 3);
    assert!(loaded.warnings.is_empty());
}

#[test]
fn empty_file() {
    for text in ["", "\n\n", "# only a comment\n", "---\n"] {
        assert_eq!(found(&fail(text)), vec![(Code::EmptyDocument, "1:1".to_owned())], "{text:?}");
    }
}

#[test]
fn root_not_a_mapping() {
    assert_eq!(found(&fail("- a\n- b\n"))[0].0, Code::WrongType);
    assert_eq!(found(&fail("just a string\n"))[0].0, Code::WrongType);
}

#[test]
fn wrong_api_version_and_kind() {
    let text =
        replace("apiVersion: openservice.dev/v1alpha1", "apiVersion: openservice.dev/v2").replacen("kind: Service", "kind: Deployment", 1);
    let f = found(&fail(&text));
    let line = line_of(&text, "apiVersion:");
    assert_eq!(f, vec![(Code::WrongDocument, format!("{line}:13")), (Code::WrongDocument, format!("{}:7", line + 1))]);
}

#[test]
fn unknown_key_suggests_the_nearest() {
    let text = replace("  replicas: 3", "  replcas: 3");
    let f = fail(&text);
    let line = line_of(&text, "replcas");
    assert_eq!(found(&f), vec![(Code::UnknownKey, format!("{line}:3"))]);
    let d = &f.diagnostics.0[0];
    assert!(d.help.as_deref().unwrap().contains("did you mean `replicas`?"), "{d:?}");
}

#[test]
fn wrong_type() {
    let text = replace("  replicas: 3", "  replicas: [3]");
    assert_eq!(found(&fail(&text))[0].0, Code::WrongType);
    let text = replace("  version: \"5.0.5\"", "  version: 5.0");
    let f = fail(&text);
    assert_eq!(found(&f)[0].0, Code::WrongType);
    assert!(f.diagnostics.0[0].help.as_deref().unwrap().contains("quote"));
}

#[test]
fn value_out_of_bounds() {
    let text = replace("  replicas: 3", "  replicas: 0");
    assert_eq!(found(&fail(&text))[0].0, Code::OutOfRange);
    let text = replace("      port: 9042", "      port: 70000");
    assert_eq!(found(&fail(&text))[0].0, Code::OutOfRange);
    let text = replace("default: 50% of capacity.memory", "default: 64Gi");
    assert_eq!(found(&fail(&text))[0].0, Code::InvalidKnob);
    let text = replace("default: 50% of capacity.memory", "default: 50% of capacity.disk");
    assert_eq!(found(&fail(&text))[0].0, Code::InvalidValue);
}

#[test]
fn knobs_follow_the_capacity() {
    let with =
        |sets: &[&str]| parse_with("t.yaml", GOOD, &Options { sets: sets.iter().map(|s| (*s).to_owned()).collect(), ..Options::default() });
    // the heap is half the memory unless set, the young generation an eighth
    let spec = with(&["capacity.memory=6Gi"]).unwrap().spec;
    assert_eq!(
        (spec.knob_value("heap").unwrap().render(), spec.knob_value("youngGeneration").unwrap().render()),
        ("3Gi".to_owned(), "768Mi".to_owned())
    );
    // a heap above half the memory: refused at the setting, with the largest that fits as the fix
    let f = with(&["settings.heap=3Gi"]).unwrap_err();
    assert_eq!(found(&f), vec![(Code::OutOfRange, "1:15".to_owned())]);
    assert_eq!(&*f.diagnostics.0[0].fix, ["settings.heap=2Gi".to_owned()]);
    assert!(f.diagnostics.0[0].help.as_deref().unwrap().contains("raise `capacity.memory` to at least 6Gi"), "{f}");
    // the memory lowered under a heap the consumer set: refused at the setting they chose; the
    // memory lowered under the derived default's minimum: refused at the capacity
    let f = with(&["settings.heap=2Gi", "capacity.memory=3Gi"]).unwrap_err();
    assert_eq!(f.sources.get(f.diagnostics.0[0].span.unwrap().source).text(), "settings.heap=2Gi");
    let f = with(&["capacity.memory=1Gi"]).unwrap_err();
    assert_eq!(f.sources.get(f.diagnostics.0[0].span.unwrap().source).text(), "capacity.memory=1Gi");
    assert_eq!(&*f.diagnostics.0[0].fix, ["capacity.memory=2Gi".to_owned()]);
}

#[test]
fn knobs_follow_other_knobs() {
    let with =
        |sets: &[&str]| parse_with("t.yaml", GOOD, &Options { sets: sets.iter().map(|s| (*s).to_owned()).collect(), ..Options::default() });
    let young = |sets: &[&str]| with(sets).unwrap().spec.knob_value("youngGeneration").unwrap().render();
    // the young generation is a quarter of the heap, whether the heap is derived or set
    assert_eq!(young(&[]), "512Mi");
    assert_eq!(young(&["capacity.memory=16Gi", "settings.heap=6Gi"]), "1536Mi");
    // above half of the heap: refused at the setting, the largest that fits as the fix
    let f = with(&["settings.youngGeneration=1500Mi"]).unwrap_err();
    assert_eq!(f.diagnostics.0.len(), 1, "{f}");
    assert_eq!(f.sources.get(f.diagnostics.0[0].span.unwrap().source).text(), "settings.youngGeneration=1500Mi");
    assert_eq!(&*f.diagnostics.0[0].fix, ["settings.youngGeneration=1Gi".to_owned()]);
    assert!(f.diagnostics.0[0].help.as_deref().unwrap().contains("raise `settings.heap` to at least 3000Mi"), "{f}");
    // the heap lowered under a young generation that was not set explicitly: it follows
    assert_eq!(young(&["settings.heap=1Gi"]), "256Mi");
    // the fix, applied, removes the finding
    assert_eq!(young(&["settings.youngGeneration=1Gi"]), "1Gi");

    // what a share names: an existing quantity knob, not itself, one step from a setting
    let knob = |default: &str, at_most: &str| {
        let text = replace("    default: 25% of knobs.heap\n", &format!("    default: {default}\n")).replacen(
            "    atMost: 50% of knobs.heap\n",
            &format!("    atMost: {at_most}\n"),
            1,
        );
        found(&fail(&text)).into_iter().map(|(c, _)| c).collect::<Vec<_>>()
    };
    assert_eq!(knob("25% of knobs.heep", "50% of knobs.heap"), [Code::UnknownReference]);
    assert_eq!(knob("25% of knobs.youngGeneration", "50% of knobs.heap"), [Code::InvalidKnob]);
    assert_eq!(knob("25% of knobs.heap", "50% of knobs.clusterName"), [Code::InvalidKnob]);
    let chained = GOOD.replacen("    default: 50% of capacity.memory\n", "    default: 50% of knobs.youngGeneration\n", 1);
    assert_eq!(found(&fail(&chained)).into_iter().map(|(c, _)| c).collect::<Vec<_>>(), [Code::InvalidKnob, Code::InvalidKnob]);
}

#[test]
fn decimal_knobs_are_exact_and_bounded() {
    let text = replace(
        "knobs:\n",
        "knobs:\n  compactionRatio:\n    type: decimal\n    default: 0.9\n    min: 0.1\n    max: 1\n    description: a ratio\n",
    );
    let with = |sets: &[&str]| {
        parse_with("t.yaml", &text, &Options { sets: sets.iter().map(|s| (*s).to_owned()).collect(), ..Options::default() })
    };
    let render = |sets: &[&str]| with(sets).unwrap().spec.knob_value("compactionRatio").unwrap().render();
    // kept exactly, written out with a digit after the point
    assert_eq!(render(&[]), "0.9");
    assert_eq!(render(&["settings.compactionRatio=1"]), "1.0");
    assert_eq!(render(&["settings.compactionRatio=0.123456789"]), "0.123456789");
    assert_eq!(render(&["settings.compactionRatio='0.25'"]), "0.25");
    // outside the bounds, too precise, not a number: each refused at the setting
    let one = |set: &str| {
        let f = with(&[set]).unwrap_err();
        assert_eq!(f.diagnostics.0.len(), 1, "{f}");
        let d = &f.diagnostics.0[0];
        assert!(d.help.as_deref().is_some_and(|h| !h.is_empty()), "{f}");
        assert_eq!(f.sources.get(d.span.unwrap().source).text(), set);
        (d.code, d.message.clone())
    };
    assert_eq!(
        one("settings.compactionRatio=1.5"),
        (Code::OutOfRange, "`settings.compactionRatio` is 1.5, above the maximum 1.0".to_owned())
    );
    assert_eq!(one("settings.compactionRatio=0.05").0, Code::OutOfRange);
    assert_eq!(one("settings.compactionRatio=0.1234567891").0, Code::InvalidValue);
    assert_eq!(one("settings.compactionRatio=half").0, Code::InvalidValue);
    assert_eq!(
        one("settings.compactionRatio=true"),
        (Code::WrongType, "`settings.compactionRatio` must be a decimal number, found a boolean".to_owned())
    );
    // a default outside its own bounds is the packager's error, at the default
    let bad = text.replace("default: 0.9", "default: 1.25");
    assert_eq!(found(&fail(&bad)), vec![(Code::InvalidKnob, format!("{}:14", line_of(&bad, "default: 1.25")))]);
}

#[test]
fn invalid_names() {
    let text = replace("  name: cassandra", "  name: Cassandra_DB");
    let line = line_of(&text, "Cassandra_DB");
    assert_eq!(found(&fail(&text)), vec![(Code::InvalidName, format!("{line}:9"))]);
    let text = replace("    - name: intra", "    - name: intra-node-gossip-port");
    assert_eq!(found(&fail(&text))[0].0, Code::InvalidName);
}

#[test]
fn invalid_quantity_image_and_duration() {
    assert_eq!(found(&fail(&replace("memory: 4Gi", "memory: 4GB")))[0].0, Code::InvalidQuantity);
    assert_eq!(found(&fail(&replace("cassandra:5.0.5", "cassandra:latest")))[0].0, Code::InvalidImage);
    assert_eq!(found(&fail(&replace("cassandra:5.0.5", "cassandra")))[0].0, Code::InvalidImage);
    assert_eq!(found(&fail(&replace("gracePeriod: 2m", "gracePeriod: 2 minutes")))[0].0, Code::InvalidDuration);
}

#[test]
fn duplicate_port() {
    let text = replace("      port: 7000", "      port: 9042");
    let line = line_of(&text, "name: intra") + 1;
    // Located at the duplicate value.
    assert_eq!(found(&fail(&text)), vec![(Code::Duplicate, format!("{line}:13"))]);
}

#[test]
fn unknown_knob_reference() {
    let text = replace("${knobs.datacenter}", "${knobs.datacentre}");
    let f = fail(&text);
    assert_eq!(found(&f)[0].0, Code::UnknownReference);
    assert!(f.diagnostics.0[0].help.as_deref().unwrap().contains("${knobs.datacenter}"));
    let text = replace("CASSANDRA_SEEDS: ${service.seed}", "CASSANDRA_SEEDS: ${service.sead}");
    assert_eq!(found(&fail(&text))[0].0, Code::UnknownReference);
}

#[test]
fn a_reference_in_a_script_is_located_on_the_reference() {
    // inside a literal block scalar (the bootstrap step's script), and the second of two alike
    let text = replace("'${knobs.datacenter}': $rf", "'${knobs.datacentre}': $rf, '${knobs.datacentre}': 1");
    let line = line_of(&text, "datacentre");
    let col = |nth: usize| text.lines().nth(line - 1).unwrap().match_indices("${knobs.datacentre}").nth(nth).unwrap().0 + 1;
    assert_eq!(
        found(&fail(&text)),
        vec![(Code::UnknownReference, format!("{line}:{}", col(0))), (Code::UnknownReference, format!("{line}:{}", col(1)))]
    );
}

#[test]
fn missing_required_field() {
    let text = replace("  image: docker.io/library/cassandra:5.0.5\n", "");
    let f = fail(&text);
    let line = line_of(&text, "runtime:");
    assert_eq!(found(&f), vec![(Code::MissingField, format!("{line}:1"))]);
    assert!(f.diagnostics.0[0].message.contains("`image`"));
}

#[test]
fn duplicate_yaml_key() {
    let text = replace("  quorum: majority", "  quorum: majority\n  quorum: all");
    assert_eq!(found(&fail(&text))[0].0, Code::YamlSyntax);
}

#[test]
fn set_path_that_does_not_exist() {
    let options = Options { sets: vec!["redundancy.replicaz=5".to_owned()], ..Options::default() };
    let f = parse_with("t.yaml", GOOD, &options).unwrap_err();
    assert_eq!(found(&f), vec![(Code::UnknownKey, "1:12".to_owned())]);
    assert_eq!(f.sources.get(f.diagnostics.0[0].span.unwrap().source).name(), "--set");
    for bad in ["redundancy.replicas", "redundancy..replicas=1", "redundancy.replicas.x=1", "function.endpoints.9.port=1"] {
        let options = Options { sets: vec![bad.to_owned()], ..Options::default() };
        let f = parse_with("t.yaml", GOOD, &options).unwrap_err();
        assert_eq!(found(&f)[0].0, Code::InvalidSet, "{bad}");
    }
}

#[test]
fn set_values_are_typed_like_the_file() {
    let ok = |s: &str| parse_with("t.yaml", GOOD, &Options { sets: vec![s.to_owned()], ..Options::default() });
    assert_eq!(ok("redundancy.replicas=5").unwrap().spec.redundancy.replicas, 5);
    assert_eq!(ok("settings.heap=2Gi").unwrap().spec.knob_value("heap").unwrap().render(), "2Gi");
    assert_eq!(ok("function.endpoints.0.port=9043").unwrap().spec.function.endpoints[0].port, 9043);
    assert_eq!(found(&ok("redundancy.replicas=five").unwrap_err())[0], (Code::WrongType, "1:21".to_owned()));
    assert_eq!(found(&ok("settings.heap=64Gi").unwrap_err())[0].0, Code::OutOfRange);
    assert_eq!(found(&ok("settings.hep=1Gi").unwrap_err())[0].0, Code::InvalidKnob);
}

#[test]
fn several_errors_are_all_reported() {
    let text = replace("  replicas: 3", "  replcas: 3")
        .replacen("memory: 4Gi", "memory: lots", 1)
        .replacen("  state: stateful", "  state: statefull", 1)
        .replacen("      port: 7000", "      port: 9042", 1);
    let f = fail(&text);
    let codes: Vec<Code> = found(&f).into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes, vec![Code::UnknownVariant, Code::InvalidQuantity, Code::UnknownKey], "{f}");
}

#[test]
fn hostile_yaml_is_refused_with_a_location() {
    let cases: Vec<String> = vec![
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n".to_owned(),
        "[".repeat(10_000),
        "a:\n".to_owned() + &(1..200).map(|i| format!("{}b:\n", " ".repeat(i))).collect::<String>(),
        "a: \"unterminated\n".to_owned(),
        "a: *nope\n".to_owned(),
        "<<: {a: 1}\n".to_owned(),
        "\tkey: value\n".to_owned(),
        "a: 1\n---\nb: 2\n".to_owned(),
        "apiVersion: 99999999999999999999999999999999999999999\n".to_owned(),
    ];
    for text in cases {
        let f = fail(&text);
        assert!(!f.diagnostics.is_empty());
        for d in f.diagnostics.iter() {
            assert!(d.span.is_some(), "unlocated: {d:?}");
        }
    }
}

#[test]
fn url_paths_must_be_absolute() {
    let text = replace("    path: /metrics\n", "    path: metrics\n");
    let f = fail(&text);
    assert_eq!(found(&f), vec![(Code::InvalidValue, format!("{}:11", line_of(&text, "path: metrics")))]);
    let d = &f.diagnostics.0[0];
    assert_eq!(d.message, "metrics path `metrics` does not start with '/'");
    assert_eq!(d.help.as_deref(), Some("write an absolute URL path, e.g. `/metrics`"));
}

#[test]
fn credentials_references_need_declared_credentials() {
    // without `credentials`, naming their Secret is an error where it is written (cassandra's
    // bootstrap step names it twice, its backup procedure twice)
    let text = replace("credentials:\n  username: {value: \"${knobs.superuser}\"}\n  password: {random: 32}\n", "");
    let f = found(&fail(&text));
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("secretKeyRef: {name: \"${service.credentials}\""))
        .map(|(i, _)| i + 1)
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(f.len(), 4, "{f:?}");
    for ((code, at), line) in f.iter().zip(&lines) {
        assert_eq!(*code, Code::Inconsistent);
        assert!(at.starts_with(&format!("{line}:")), "{at} not on line {line}");
    }
    let text = format!("{text}access:\n  credentialsSecret: team-secret\n");
    let f = found(&fail(&text));
    assert!(f.contains(&(Code::Inconsistent, format!("{}:22", line_of(&text, "credentialsSecret")))), "{f:?}");
}
