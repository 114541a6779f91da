//! Commands printed for a person to paste into a POSIX shell (`ossc diff`'s remediations, the
//! app store's `ossc build` line). Owns quoting; runs nothing.

/// A word for a POSIX shell: bare when it is plainly safe, else single-quoted.
#[must_use]
pub fn quote(word: &str) -> String {
    let safe = !word.is_empty() && word.bytes().all(|b| b.is_ascii_alphanumeric() || b"._/=:@%+,-".contains(&b));
    if safe { word.to_owned() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

/// Words joined into one command line, each quoted as needed.
#[must_use]
pub fn command<S: AsRef<str>>(words: &[S]) -> String {
    words.iter().map(|w| quote(w.as_ref())).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        assert_eq!(command(&["nodetool", "decommission"]), "nodetool decommission");
        assert_eq!(command(&["sh", "-c", "a b", "it's", ""]), r"sh -c 'a b' 'it'\''s' ''");
    }
}
