//! The same YAML as [`super::write_document`], written straight from a `Serialize` value instead
//! of from a `serde_json::Value` built first: building and dropping that tree was a fifth of
//! `ossc build` (docs/performance.md). Every byte decision is the parent module's (plain or
//! quoted strings, literal blocks, list indentation); this module only walks serde's data model
//! the way `serde_json::to_value` does (unit and `None` are null, enum variants are strings or
//! one-key maps, map keys become strings). The golden bundles and a test hold the two paths to
//! the same bytes.

use super::{indent, write_string};
use serde::ser::{self, Serialize};
use std::fmt::{self, Write as _};

/// Appends `value` as one YAML document (starting with `---`).
///
/// # Errors
/// When `value`'s `Serialize` fails, or uses a map key that is not a string, number or bool.
pub fn write_document<T: Serialize + ?Sized>(out: &mut String, value: &T) -> Result<(), Error> {
    out.push_str("---\n");
    value.serialize(Ser { out, place: Place::Document })
}

/// Why a value could not be written.
#[derive(Debug)]
pub struct Error(String);

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl ser::Error for Error {
    fn custom<M: fmt::Display>(msg: M) -> Self {
        Error(msg.to_string())
    }
}

/// Where a value goes.
#[derive(Clone, Copy)]
enum Place {
    /// A document of its own.
    Document,
    /// After `key:`; nested entries at `ind` (the key's indentation + 2).
    Value { ind: usize },
    /// After `- `; the item's own lines at `ind` (the dash's indentation + 2).
    Item { ind: usize },
}

impl Place {
    /// Indentation of a mapping's entries here.
    fn map_indent(self) -> usize {
        match self {
            Place::Document => 0,
            Place::Value { ind } | Place::Item { ind } => ind,
        }
    }

    /// Indentation of a sequence's dashes here: a list under a key sits at the key's indentation.
    fn seq_indent(self) -> usize {
        match self {
            Place::Document => 0,
            Place::Value { ind } => ind - 2,
            Place::Item { ind } => ind,
        }
    }

    /// The indentation literal blocks of a scalar here use.
    fn scalar_indent(self) -> usize {
        self.map_indent()
    }

    /// Opens a non-empty collection: after a key it starts on the next line.
    fn open(self, out: &mut String) {
        if let Place::Value { .. } = self {
            out.push('\n');
        }
    }

    /// An empty collection, inline.
    fn empty(self, out: &mut String, text: &str) {
        if let Place::Value { .. } = self {
            out.push(' ');
        }
        out.push_str(text);
        out.push('\n');
    }
}

struct Ser<'o> {
    out: &'o mut String,
    place: Place,
}

impl<'o> Ser<'o> {
    fn scalar(self, write: impl FnOnce(&mut String, usize)) -> Result<(), Error> {
        if let Place::Value { .. } = self.place {
            self.out.push(' ');
        }
        write(self.out, self.place.scalar_indent());
        self.out.push('\n');
        Ok(())
    }

    fn display(self, v: impl fmt::Display) -> Result<(), Error> {
        self.scalar(|out, _| {
            let _ = write!(out, "{v}");
        })
    }

    fn map(self) -> Map<'o> {
        Map { out: self.out, place: self.place, count: 0, key: String::new() }
    }

    fn seq(self) -> Seq<'o> {
        Seq { out: self.out, place: self.place, count: 0 }
    }

    /// `{variant: ...}`, as `serde_json::to_value` writes a non-unit enum variant.
    fn variant_map(self, variant: &'static str) -> Result<Map<'o>, Error> {
        let mut map = self.map();
        map.begin_entry(variant);
        Ok(map)
    }
}

impl<'o> ser::Serializer for Ser<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Seq<'o>;
    type SerializeTuple = Seq<'o>;
    type SerializeTupleStruct = Seq<'o>;
    type SerializeTupleVariant = VariantSeq<'o>;
    type SerializeMap = Map<'o>;
    type SerializeStruct = Map<'o>;
    type SerializeStructVariant = VariantMap<'o>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.scalar(|out, _| out.push_str(if v { "true" } else { "false" }))
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        // serde_json's spelling; a non-finite float is null there.
        match serde_json::Number::from_f64(v) {
            Some(n) => self.display(n),
            None => self.serialize_unit(),
        }
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.scalar(|out, ind| write_string(out, v, ind))
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        ser::Serializer::collect_seq(self, v)
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.scalar(|out, _| out.push_str("null"))
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let mut map = self.variant_map(variant)?;
        value.serialize(map.value_ser())?;
        ser::SerializeMap::end(map)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'o>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Seq<'o>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Seq<'o>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantSeq<'o>, Error> {
        let map = self.variant_map(variant)?;
        let ind = map.entry_indent() + 2;
        Ok(VariantSeq { map, place: Place::Value { ind }, count: 0 })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'o>, Error> {
        Ok(self.map())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Map<'o>, Error> {
        Ok(self.map())
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantMap<'o>, Error> {
        let outer = self.variant_map(variant)?;
        let ind = outer.entry_indent() + 2;
        Ok(VariantMap { outer, place: Place::Value { ind }, count: 0 })
    }
}

/// A mapping being written; its opening is decided by its first entry.
struct Map<'o> {
    out: &'o mut String,
    place: Place,
    count: usize,
    key: String,
}

impl<'o> Map<'o> {
    fn entry_indent(&self) -> usize {
        self.place.map_indent()
    }

    /// Writes `key:` for the next entry.
    fn begin_entry(&mut self, key: &str) {
        if self.count == 0 {
            self.place.open(self.out);
        }
        // The first entry of a list item hangs off its `- `.
        if self.count > 0 || !matches!(self.place, Place::Item { .. }) {
            indent(self.out, self.entry_indent());
        }
        write_string(self.out, key, self.entry_indent());
        self.out.push(':');
        self.count += 1;
    }

    fn value_ser(&mut self) -> Ser<'_> {
        let ind = self.entry_indent() + 2;
        Ser { out: self.out, place: Place::Value { ind } }
    }

    fn finish(self) -> Result<(), Error> {
        if self.count == 0 {
            self.place.empty(self.out, "{}");
        }
        Ok(())
    }
}

impl ser::SerializeMap for Map<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key.clear();
        key.serialize(KeySer(&mut self.key))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = std::mem::take(&mut self.key);
        self.begin_entry(&key);
        self.key = key;
        value.serialize(self.value_ser())
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for Map<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        self.begin_entry(key);
        value.serialize(self.value_ser())
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

/// A sequence being written; its opening is decided by its first item.
struct Seq<'o> {
    out: &'o mut String,
    place: Place,
    count: usize,
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        write_item(self.out, self.place, &mut self.count, value)
    }
    fn end(self) -> Result<(), Error> {
        if self.count == 0 {
            self.place.empty(self.out, "[]");
        }
        Ok(())
    }
}

fn write_item<T: Serialize + ?Sized>(out: &mut String, place: Place, count: &mut usize, value: &T) -> Result<(), Error> {
    if *count == 0 {
        place.open(out);
    }
    let dash = place.seq_indent();
    // The first item of a list item hangs off its `- `.
    if *count > 0 || !matches!(place, Place::Item { .. }) {
        indent(out, dash);
    }
    out.push_str("- ");
    *count += 1;
    value.serialize(Ser { out, place: Place::Item { ind: dash + 2 } })
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<(), Error> {
        ser::SerializeSeq::end(self)
    }
}

/// `{variant: [...]}`.
struct VariantSeq<'o> {
    map: Map<'o>,
    place: Place,
    count: usize,
}

impl ser::SerializeTupleVariant for VariantSeq<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        write_item(self.map.out, self.place, &mut self.count, value)
    }
    fn end(self) -> Result<(), Error> {
        if self.count == 0 {
            self.place.empty(self.map.out, "[]");
        }
        self.map.finish()
    }
}

/// `{variant: {...}}`.
struct VariantMap<'o> {
    outer: Map<'o>,
    place: Place,
    count: usize,
}

impl ser::SerializeStructVariant for VariantMap<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        let mut inner = Map { out: &mut *self.outer.out, place: self.place, count: self.count, key: String::new() };
        inner.begin_entry(key);
        let result = value.serialize(inner.value_ser());
        self.count = inner.count;
        result
    }
    fn end(self) -> Result<(), Error> {
        if self.count == 0 {
            self.place.empty(self.outer.out, "{}");
        }
        self.outer.finish()
    }
}

/// A map key, as `serde_json` turns it into a string.
struct KeySer<'k>(&'k mut String);

impl KeySer<'_> {
    fn display(self, v: impl fmt::Display) -> Result<(), Error> {
        let _ = write!(self.0, "{v}");
        Ok(())
    }
}

fn key_must_be_a_string() -> Error {
    Error("a map key must be a string, a number or a bool".to_owned())
}

impl ser::Serializer for KeySer<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.display(v)
    }
    fn serialize_f32(self, _v: f32) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_f64(self, _v: f64) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.0.push(v);
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_bytes(self, _v: &[u8]) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _value: &T) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(self, _: &'static str, _: u32, _: &'static str, _: &T) -> Result<(), Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeTupleStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeTupleVariant, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self::SerializeStruct, Error> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Self::SerializeStructVariant, Error> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::json;
    use std::collections::BTreeMap;

    fn both<T: Serialize>(v: &T) -> (String, String) {
        let mut direct = String::new();
        write_document(&mut direct, v).unwrap();
        (direct, super::super::to_yaml(&serde_json::to_value(v).unwrap()))
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    enum Shape {
        Unit,
        New(u8),
        Tuple(u8, String),
        Empty(),
        Named { a: Option<u8>, b: Vec<u8> },
        NoFields {},
    }

    #[derive(Serialize)]
    struct Everything {
        empty_map: BTreeMap<String, u8>,
        empty_seq: Vec<u8>,
        none: Option<u8>,
        unit: (),
        float: f64,
        nan: f64,
        text: &'static str,
        multi: &'static str,
        quoted: &'static str,
        char: char,
        int_keys: BTreeMap<i32, &'static str>,
        shapes: Vec<Shape>,
        nested: Vec<Vec<Vec<u8>>>,
        maps_in_lists: Vec<BTreeMap<&'static str, Vec<u8>>>,
        bytes: serde_bytes_like::Bytes,
        value: serde_json::Value,
    }

    mod serde_bytes_like {
        pub struct Bytes(pub &'static [u8]);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(self.0)
            }
        }
    }

    #[test]
    fn writes_what_the_value_path_writes() {
        let v = Everything {
            empty_map: BTreeMap::new(),
            empty_seq: Vec::new(),
            none: None,
            unit: (),
            float: 1.0,
            nan: f64::NAN,
            text: "plain-text",
            multi: "line one\nline two\n",
            quoted: "yes: no",
            char: 'x',
            int_keys: BTreeMap::from([(1, "a"), (-2, "b")]),
            shapes: vec![
                Shape::Unit,
                Shape::New(1),
                Shape::Tuple(2, "t".into()),
                Shape::Empty(),
                Shape::Named { a: Some(3), b: vec![] },
                Shape::NoFields {},
            ],
            nested: vec![vec![vec![1, 2], vec![]], vec![]],
            maps_in_lists: vec![BTreeMap::from([("k", vec![1]), ("e", vec![])]), BTreeMap::new()],
            bytes: serde_bytes_like::Bytes(b"hi"),
            value: json!({"a": [{"b": {}}, [], "s"], "c": null}),
        };
        let (direct, via_value) = both(&v);
        assert_eq!(direct, via_value);
        for top in [json!([]), json!({}), json!("s"), json!([{"a": 1}, [2]]), json!(null)] {
            let (direct, via_value) = both(&top);
            assert_eq!(direct, via_value, "{top}");
        }
    }
}
