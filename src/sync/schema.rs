//! Schema DDL from `pg_dump --section=…`: cleaned for execution over the wire and split into
//! entries so that post-data (indexes, constraints) can be built in parallel after the data.

/// One TOC entry of a plain-format dump, e.g. an index or a constraint.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// `Type:` of the TOC header: `INDEX`, `CONSTRAINT`, `FK CONSTRAINT`, `TRIGGER`, …
    pub kind: String,
    /// First word of `Name:`, which for indexes and constraints is the table.
    pub table: String,
    pub schema: String,
    pub sql: String,
}

impl Entry {
    /// Entries that touch one table only and can be built concurrently with others.
    pub fn parallel_safe(&self) -> bool {
        matches!(self.kind.as_str(), "INDEX" | "CONSTRAINT")
    }

    /// A table's primary key (`ALTER TABLE … ADD CONSTRAINT … PRIMARY KEY`).
    pub fn is_primary_key(&self) -> bool {
        self.kind == "CONSTRAINT" && self.sql.contains(" PRIMARY KEY ")
    }

    /// `(schema, table)` the entry builds on, read from its SQL: `CREATE … INDEX … ON [ONLY]
    /// <table>` or `ALTER TABLE [ONLY] <table>`. Identifiers come back unquoted.
    pub fn on_table(&self) -> Option<(String, String)> {
        let sql: String = self
            .sql
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join(" ");
        let rest = if let Some(i) = sql.find(" ON ONLY ") {
            &sql[i + 9..]
        } else if sql.trim_start().starts_with("CREATE") {
            &sql[sql.find(" ON ")? + 4..]
        } else if let Some(i) = sql.find("ALTER TABLE ONLY ") {
            &sql[i + 17..]
        } else {
            &sql[sql.find("ALTER TABLE ")? + 12..]
        };
        let parts = split_qualified(rest.trim_start())?;
        match parts.as_slice() {
            [schema, table] => Some((schema.clone(), table.clone())),
            _ => None,
        }
    }
}

/// Reads `schema.table` (each part quoted or not) from the start of `text`.
fn split_qualified(text: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        let mut ident = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            loop {
                match chars.next()? {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        ident.push('"');
                    }
                    '"' => break,
                    c => ident.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_alphanumeric() || c == '_' || c == '$' {
                    ident.push(c.to_ascii_lowercase());
                    chars.next();
                } else {
                    break;
                }
            }
        }
        if ident.is_empty() {
            return None;
        }
        parts.push(ident);
        if chars.peek() == Some(&'.') {
            chars.next();
        } else {
            return Some(parts);
        }
    }
}

/// A parsed plain-format dump section.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// The `SET …` lines every session that runs entries must execute first.
    pub preamble: String,
    pub entries: Vec<Entry>,
}

#[derive(Debug, thiserror::Error)]
#[error(
    "pg_dump's output contains the psql meta-command {line:?}, which wpstage cannot run over a \
     database connection; please report this together with your pg_dump version"
)]
pub struct MetaCommandError {
    line: String,
}

/// Removes the `\restrict`/`\unrestrict` lines newer pg_dump versions emit (they only guard
/// psql) and pg_dump 17+'s `SET transaction_timeout = 0;` (a default that servers before 17 do
/// not know), and refuses any other psql meta-command.
pub fn clean(dump: &str) -> Result<String, MetaCommandError> {
    let mut out = String::with_capacity(dump.len());
    for line in dump.lines() {
        if line.starts_with('\\') {
            if line.starts_with("\\restrict ") || line.starts_with("\\unrestrict ") {
                continue;
            }
            return Err(MetaCommandError {
                line: line.chars().take(40).collect(),
            });
        }
        if line.trim() == "SET transaction_timeout = 0;" {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    Ok(out)
}

/// Splits a cleaned dump at its `-- Name: …; Type: …; Schema: …; Owner: …` headers.
pub fn split(dump: &str) -> Section {
    let mut section = Section::default();
    let mut current: Option<Entry> = None;
    let mut buf = String::new();
    let lines: Vec<&str> = dump.lines().collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(header) = line.strip_prefix("-- Name: ")
            && let Some(entry) = parse_header(header)
        {
            // The header is framed by "--" lines; drop the opening one from the previous body.
            if buf.ends_with("--\n") {
                buf.truncate(buf.len() - 3);
            }
            match current.take() {
                Some(mut prev) => {
                    prev.sql = std::mem::take(&mut buf);
                    section.entries.push(prev);
                }
                None => section.preamble = std::mem::take(&mut buf),
            }
            current = Some(entry);
            i += 1;
            continue;
        }
        buf.push_str(line);
        buf.push('\n');
        i += 1;
    }
    match current {
        Some(mut last) => {
            last.sql = buf;
            section.entries.push(last);
        }
        None => section.preamble = buf,
    }
    section.entries.retain(|e| has_statement(&e.sql));
    section
}

fn parse_header(header: &str) -> Option<Entry> {
    let mut name = None;
    let mut kind = None;
    let mut schema = String::new();
    for (i, part) in header.split("; ").enumerate() {
        if i == 0 {
            name = Some(part);
        } else if let Some(t) = part.strip_prefix("Type: ") {
            kind = Some(t);
        } else if let Some(s) = part.strip_prefix("Schema: ") {
            schema = s.to_owned();
        }
    }
    Some(Entry {
        kind: kind?.to_owned(),
        table: name?.split(' ').next().unwrap_or_default().to_owned(),
        schema,
        sql: String::new(),
    })
}

fn has_statement(sql: &str) -> bool {
    sql.lines().any(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with("--")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const POST: &str = "--\n-- PostgreSQL database dump\n--\n\n\\restrict abc\n\nSET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\n\n--\n-- Name: wp_posts wp_posts_pkey; Type: CONSTRAINT; Schema: public; Owner: -\n--\n\nALTER TABLE ONLY public.wp_posts\n    ADD CONSTRAINT wp_posts_pkey PRIMARY KEY (\"ID\");\n\n\n--\n-- Name: wp_posts type_status_date; Type: INDEX; Schema: public; Owner: -\n--\n\nCREATE INDEX type_status_date ON public.wp_posts USING btree (post_type);\n\n\n--\n-- Name: orders orders_user_fkey; Type: FK CONSTRAINT; Schema: shop; Owner: -\n--\n\nALTER TABLE ONLY shop.orders ADD CONSTRAINT orders_user_fkey FOREIGN KEY (u) REFERENCES shop.users(id);\n\n\n--\n-- PostgreSQL database dump complete\n--\n\n\\unrestrict abc\n\n";

    #[test]
    fn restrict_lines_are_removed_and_other_meta_commands_refused() {
        let cleaned = clean(POST).unwrap();
        assert!(!cleaned.contains("\\restrict"));
        assert!(!cleaned.contains("\\unrestrict"));
        assert!(clean("SELECT 1;\n\\connect other\n").is_err());
        let newer =
            clean("SET statement_timeout = 0;\nSET transaction_timeout = 0;\nSELECT 1;\n").unwrap();
        assert_eq!(
            newer, "SET statement_timeout = 0;\nSELECT 1;\n",
            "a PG 15 target rejects transaction_timeout"
        );
    }

    #[test]
    fn entries_carry_kind_table_and_sql() {
        let section = split(&clean(POST).unwrap());
        assert!(section.preamble.contains("set_config('search_path'"));
        let kinds: Vec<&str> = section.entries.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["CONSTRAINT", "INDEX", "FK CONSTRAINT"]);
        assert_eq!(section.entries[0].table, "wp_posts");
        assert_eq!(section.entries[2].schema, "shop");
        assert!(
            section.entries[1]
                .sql
                .contains("CREATE INDEX type_status_date")
        );
        assert!(!section.entries[1].sql.contains("FOREIGN KEY"));
        assert!(section.entries[0].parallel_safe() && !section.entries[2].parallel_safe());
        assert!(section.entries[0].is_primary_key() && !section.entries[1].is_primary_key());
        let on: Vec<Option<(String, String)>> =
            section.entries.iter().map(Entry::on_table).collect();
        assert_eq!(on[0], Some(("public".into(), "wp_posts".into())));
        assert_eq!(on[1], Some(("public".into(), "wp_posts".into())));
        assert_eq!(on[2], Some(("shop".into(), "orders".into())));
    }

    #[test]
    fn quoted_and_mixed_case_tables_are_read() {
        let e = Entry {
            kind: "INDEX".into(),
            table: "x".into(),
            schema: "public".into(),
            sql:
                "CREATE UNIQUE INDEX \"Idx\" ON ONLY public.\"Weird\"\"Case\" USING btree (\"ID\");"
                    .into(),
        };
        assert_eq!(e.on_table(), Some(("public".into(), "Weird\"Case".into())));
    }
}
