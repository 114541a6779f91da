//! Source files and byte spans into them.
//!
//! Owns: the table of inputs (files, `--set` flags, embedded catalog entries) that diagnostics
//! point into, and line/column computation. Must not: read files — callers hand in text.

/// Identifies one source in a [`Sources`] table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceId(pub(crate) u32);

/// A byte range in one source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    /// The source the range is in.
    pub source: SourceId,
    /// Byte offset of the first byte.
    pub start: usize,
    /// Length in bytes (may be 0 for a point).
    pub len: usize,
}

/// One input: its display name (a path, a flag) and its text.
#[derive(Debug, Clone)]
pub struct Source {
    name: String,
    text: String,
    line_starts: Vec<usize>,
    /// How many `extends` steps below the inputs the caller named: 0 for those inputs and
    /// `--set` flags, 1 for the base an input extends, and so on.
    base_depth: u32,
}

impl Source {
    /// The display name, e.g. `specs/cassandra.yaml` or `--set redundancy.replicas=5`.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The full text.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and column (in characters) of a byte offset.
    #[must_use]
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset) - 1;
        let start = self.line_starts[line];
        let col = self.text.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// Byte offset of a 1-based line and column (in characters); clamps to the text.
    #[must_use]
    pub fn offset_of(&self, line: usize, col: usize) -> usize {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        rest.char_indices().nth(col.saturating_sub(1)).map_or(self.text.len(), |(i, _)| start + i)
    }
}

/// The table of every input of one compilation.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    items: Vec<Source>,
}

impl Sources {
    /// An empty table.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a source and returns its id.
    ///
    /// # Panics
    /// Never in practice: more than `u32::MAX` sources cannot fit in memory.
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> SourceId {
        self.add_base(name, text, 0)
    }

    /// Adds the base reached through `depth` `extends` steps from an input, and returns its id.
    pub fn add_base(&mut self, name: impl Into<String>, text: impl Into<String>, depth: u32) -> SourceId {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        let id = SourceId(u32::try_from(self.items.len()).unwrap_or(u32::MAX));
        self.items.push(Source { name: name.into(), text, line_starts, base_depth: depth });
        id
    }

    /// Orders sources by who has the last word: a later input or `--set` over an earlier one,
    /// any input over the bases it extends, a base over the bases below it. Inputs are added in
    /// order and bases after the input that extends them, so the id orders inputs and the depth
    /// orders bases.
    #[must_use]
    pub fn precedence(&self, id: SourceId) -> (bool, i64) {
        let depth = self.get(id).base_depth;
        if depth == 0 { (true, i64::from(id.0)) } else { (false, -i64::from(depth)) }
    }

    /// The source with this id.
    #[must_use]
    pub fn get(&self, id: SourceId) -> &Source {
        &self.items[id.0 as usize]
    }

    /// `name:line:col` of a span's start, the way editors and terminals link to it.
    #[must_use]
    pub fn location(&self, span: Span) -> String {
        let src = self.get(span.source);
        let (line, col) = src.line_col(span.start);
        format!("{}:{line}:{col}", src.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_from_one() {
        let mut s = Sources::new();
        let id = s.add("f.yaml", "a: 1\nbé: x\n");
        let src = s.get(id);
        assert_eq!(src.line_col(0), (1, 1));
        assert_eq!(src.line_col(5), (2, 1));
        // 'é' is two bytes; the ':' after it is the 3rd character.
        assert_eq!(src.line_col(8), (2, 3));
        assert_eq!(src.offset_of(2, 3), 8);
        assert_eq!(s.location(Span { source: id, start: 5, len: 1 }), "f.yaml:2:1");
    }
}
