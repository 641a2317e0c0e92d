//! A SQL_ASCII source stores whatever bytes it was given; a UTF8 target refuses those that are
//! not UTF-8, and its error names only a line of a COPY stream. Checked in the stream, a bad
//! value is named by table, column and row key, so the user can find and fix it.

use super::catalog::Table;

/// Where a row's bytes stop being UTF-8.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidBytes {
    pub column: String,
    /// `id=42` from the primary key, or the row's position in the table's copy.
    pub key: String,
    /// The first byte that is not UTF-8.
    pub byte: u8,
}

/// Whether the server stores bytes without checking them against an encoding.
pub fn is_raw(encoding: &str) -> bool {
    encoding.eq_ignore_ascii_case("SQL_ASCII")
}

/// Whether rows must be checked: only a source that does not check encodings itself into a
/// target that does.
pub fn needs_check(source_encoding: &str, target_encoding: &str) -> bool {
    is_raw(source_encoding) && !is_raw(target_encoding)
}

/// Checks one COPY text row of `table`; `position` is its 1-based place in this copy.
pub fn check_row(row: &[u8], table: &Table, position: u64) -> Result<(), InvalidBytes> {
    let Err(err) = std::str::from_utf8(row) else {
        return Ok(());
    };
    let bad_at = err.valid_up_to();
    let fields: Vec<&[u8]> = strip_newline(row).split(|b| *b == b'\t').collect();
    // The field holding the bad byte: count the tabs before it.
    let index = row[..bad_at].iter().filter(|b| **b == b'\t').count();
    let column = table
        .columns
        .get(index)
        .map_or_else(|| format!("column {}", index + 1), |c| c.name.clone());
    let key = if table.primary_key.is_empty() {
        format!("row {position} of the copy (the table has no primary key)")
    } else {
        table
            .primary_key
            .iter()
            .map(|&i| {
                let name = table.columns.get(i).map_or("?", |c| c.name.as_str());
                let value = fields.get(i).map_or_else(String::new, |f| shown(f));
                format!("{name}={value}")
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(InvalidBytes {
        column,
        key,
        byte: row[bad_at],
    })
}

fn strip_newline(row: &[u8]) -> &[u8] {
    row.strip_suffix(b"\n").unwrap_or(row)
}

/// A key value for a message: lossy, short.
fn shown(field: &[u8]) -> String {
    let text = String::from_utf8_lossy(field);
    if text.chars().count() > 40 {
        format!("{}…", text.chars().take(40).collect::<String>())
    } else {
        text.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::catalog::Column;

    fn table(primary_key: Vec<usize>) -> Table {
        Table {
            oid: 1,
            schema: "public".into(),
            name: "wp_posts".into(),
            bytes: 0,
            pages: 0,
            columns: ["ID", "post_title", "post_content"]
                .iter()
                .map(|n| Column {
                    name: (*n).to_owned(),
                    type_name: "text".into(),
                    max_chars: None,
                })
                .collect(),
            primary_key,
            split_key: None,
        }
    }

    #[test]
    fn utf8_rows_pass() {
        let row = "7\tCafé\tnaïve\n".as_bytes();
        assert_eq!(check_row(row, &table(vec![0]), 1), Ok(()));
    }

    #[test]
    fn a_bad_byte_is_named_by_column_and_key() {
        let row = b"42\tCaf\xe9\tfine\n";
        let bad = check_row(row, &table(vec![0]), 9).unwrap_err();
        assert_eq!(bad.column, "post_title");
        assert_eq!(bad.key, "ID=42");
        assert_eq!(bad.byte, 0xe9);
        let last = check_row(b"43\tok\tna\xefve\n", &table(vec![0]), 1).unwrap_err();
        assert_eq!(last.column, "post_content");
    }

    #[test]
    fn without_a_key_the_position_is_named() {
        let bad = check_row(b"1\t\xff\tx\n", &table(vec![]), 17).unwrap_err();
        assert!(bad.key.contains("row 17"), "{}", bad.key);
    }

    #[test]
    fn only_sql_ascii_into_a_checking_target_is_checked() {
        assert!(needs_check("SQL_ASCII", "UTF8"));
        assert!(!needs_check("SQL_ASCII", "SQL_ASCII"));
        assert!(!needs_check("UTF8", "UTF8"));
        assert!(!needs_check("LATIN1", "UTF8"));
    }
}
