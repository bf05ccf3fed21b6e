//! SPDX SBOMs (`*.spdx` tag-value, or SPDX JSON with `--parser spdx`) → SPDX's JSON shape,
//! with spans.
//!
//! conftest reads tag-value with `spdx/tools-golang` (`tagvalue.Read`, which converts to the
//! latest SPDX 2.x model) and gives policies that model's JSON encoding — the SPDX JSON
//! format: `spdxVersion`, `dataLicense`, `SPDXID`, `name`, `documentNamespace`,
//! `creationInfo: {creators, created, licenseListVersion, comment}`, `packages`, `files`,
//! `hasExtractedLicensingInfos`, `relationships`, `annotations`, `snippets`. A file that is
//! already SPDX JSON is that document as it stands.
//!
//! The `spdx-rs` crate's tag-value reader is unmaintained and panics on some malformed
//! input, so tag-value is read here: `Tag: value` lines, `<text>…</text>` multi-line values,
//! `#` comments; a `PackageName`, `FileName`, `SnippetSPDXID` or `LicenseID` tag starts a new
//! package, file, snippet or extracted licence; a `Relationship` is split into its three
//! parts; checksums (`PackageChecksum: SHA1: …`) become `{algorithm, checksumValue}`;
//! `FilesAnalyzed` is a boolean. A tag custos does not know, a line that is not `Tag: value`
//! or an unclosed `<text>` is an error with its line, never a silently thinner document.
//! Snippet byte and line ranges are not modelled.

use serde_json::{json, Map, Value};

use super::{json as json_parser, Limits, ParseError, Parsed, ParsedDoc};
use crate::document::{push_token, Span, SpanMap};

pub fn parse(source: &str, limits: &Limits) -> Parsed {
    if source.trim_start().starts_with('{') {
        return json_parser::parse(source, limits);
    }
    match tag_value(source) {
        Ok(doc) => Parsed {
            docs: vec![doc],
            error: None,
        },
        Err(e) => Parsed::failed(e),
    }
}

/// Which section a tag belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Document,
    Package,
    File,
    Snippet,
    License,
}

impl Section {
    fn list(self) -> Option<&'static str> {
        match self {
            Section::Document => None,
            Section::Package => Some("packages"),
            Section::File => Some("files"),
            Section::Snippet => Some("snippets"),
            Section::License => Some("hasExtractedLicensingInfos"),
        }
    }
}

/// How a tag's value is stored: its JSON key and whether it repeats.
enum Field {
    One(&'static str),
    Many(&'static str),
    Checksum(&'static str),
    Bool(&'static str),
}

fn field(section: Section, tag: &str) -> Option<Field> {
    use Field::{Bool, Checksum, Many, One};
    let common = match tag {
        "SPDXID" => Some(One("SPDXID")),
        _ => None,
    };
    if common.is_some() {
        return common;
    }
    match section {
        Section::Document => match tag {
            "SPDXVersion" => Some(One("spdxVersion")),
            "DataLicense" => Some(One("dataLicense")),
            "DocumentName" => Some(One("name")),
            "DocumentNamespace" => Some(One("documentNamespace")),
            "DocumentComment" => Some(One("comment")),
            _ => None,
        },
        Section::Package => match tag {
            "PackageName" => Some(One("name")),
            "PackageVersion" => Some(One("versionInfo")),
            "PackageFileName" => Some(One("packageFileName")),
            "PackageSupplier" => Some(One("supplier")),
            "PackageOriginator" => Some(One("originator")),
            "PackageDownloadLocation" => Some(One("downloadLocation")),
            "FilesAnalyzed" => Some(Bool("filesAnalyzed")),
            "PackageChecksum" => Some(Checksum("checksums")),
            "PackageHomePage" => Some(One("homepage")),
            "PackageSourceInfo" => Some(One("sourceInfo")),
            "PackageLicenseConcluded" => Some(One("licenseConcluded")),
            "PackageLicenseInfoFromFiles" => Some(Many("licenseInfoFromFiles")),
            "PackageLicenseDeclared" => Some(One("licenseDeclared")),
            "PackageLicenseComments" => Some(One("licenseComments")),
            "PackageCopyrightText" => Some(One("copyrightText")),
            "PackageSummary" => Some(One("summary")),
            "PackageDescription" => Some(One("description")),
            "PackageComment" => Some(One("comment")),
            "PackageAttributionText" => Some(Many("attributionTexts")),
            "PrimaryPackagePurpose" => Some(One("primaryPackagePurpose")),
            "ReleaseDate" => Some(One("releaseDate")),
            "BuiltDate" => Some(One("builtDate")),
            "ValidUntilDate" => Some(One("validUntilDate")),
            _ => None,
        },
        Section::File => match tag {
            "FileName" => Some(One("fileName")),
            "FileType" => Some(Many("fileTypes")),
            "FileChecksum" => Some(Checksum("checksums")),
            "LicenseConcluded" => Some(One("licenseConcluded")),
            "LicenseInfoInFile" => Some(Many("licenseInfoInFiles")),
            "LicenseComments" => Some(One("licenseComments")),
            "FileCopyrightText" => Some(One("copyrightText")),
            "FileComment" => Some(One("comment")),
            "FileNotice" => Some(One("noticeText")),
            "FileContributor" => Some(Many("fileContributors")),
            "FileAttributionText" => Some(Many("attributionTexts")),
            _ => None,
        },
        Section::Snippet => match tag {
            "SnippetSPDXID" => Some(One("SPDXID")),
            "SnippetFromFileSPDXID" => Some(One("snippetFromFile")),
            "SnippetName" => Some(One("name")),
            "SnippetLicenseConcluded" => Some(One("licenseConcluded")),
            "LicenseInfoInSnippet" => Some(Many("licenseInfoInSnippets")),
            "SnippetLicenseComments" => Some(One("licenseComments")),
            "SnippetCopyrightText" => Some(One("copyrightText")),
            "SnippetComment" => Some(One("comment")),
            "SnippetAttributionText" => Some(Many("attributionTexts")),
            _ => None,
        },
        Section::License => match tag {
            "LicenseID" => Some(One("licenseId")),
            "ExtractedText" => Some(One("extractedText")),
            "LicenseName" => Some(One("name")),
            "LicenseCrossReference" => Some(Many("seeAlsos")),
            "LicenseComment" => Some(One("comment")),
            _ => None,
        },
    }
}

fn tag_value(source: &str) -> Result<ParsedDoc, ParseError> {
    let mut doc = Map::new();
    let mut creation = Map::new();
    let mut spans = SpanMap::new();
    spans.insert(String::new(), Span::new(0, source.len()));
    // The element being filled: its section, object and pointer.
    let mut section = Section::Document;
    let mut current = Map::new();
    let mut current_pointer = String::new();
    let mut lists: Vec<(&'static str, Vec<Value>)> = Vec::new();
    let mut relationships: Vec<Value> = Vec::new();
    let mut annotations: Vec<Value> = Vec::new();
    let mut ext_refs: Vec<Value> = Vec::new();
    let mut doc_refs: Vec<Value> = Vec::new();

    let mut offset = 0usize;
    let mut lines = source.split_inclusive('\n');
    while let Some(line) = lines.next() {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((tag, raw)) = trimmed.split_once(':') else {
            return Err(ParseError::at(
                format!("expected `Tag: value`, found {:?}", truncate(trimmed)),
                start,
            ));
        };
        let tag = tag.trim();
        let mut value = raw.trim().to_owned();
        let mut end = start + line.trim_end().len();
        if let Some(rest) = value.strip_prefix("<text>") {
            // A multi-line value runs to `</text>`.
            let mut text = rest.to_owned();
            if !text.contains("</text>") {
                text.push('\n');
                loop {
                    let Some(next) = lines.next() else {
                        return Err(ParseError::at(
                            format!("`<text>` of {tag} is never closed"),
                            start,
                        ));
                    };
                    offset += next.len();
                    end = offset;
                    text.push_str(next);
                    if text.contains("</text>") {
                        break;
                    }
                }
            }
            if let Some(i) = text.find("</text>") {
                text.truncate(i);
            }
            value = text;
        }
        let span = Span::new(start, end);
        let new_section = match tag {
            "PackageName" => Some(Section::Package),
            "FileName" => Some(Section::File),
            "SnippetSPDXID" => Some(Section::Snippet),
            "LicenseID" => Some(Section::License),
            _ => None,
        };
        if let Some(ns) = new_section {
            flush(section, &mut current, &mut lists, &mut ext_refs);
            section = ns;
            let list = ns.list().unwrap_or("packages");
            let index = lists
                .iter()
                .find(|(n, _)| *n == list)
                .map_or(0, |(_, v)| v.len());
            current_pointer = push_token(&push_token("", list), &index.to_string());
            spans.insert(current_pointer.clone(), span);
        }
        match tag {
            "Creator" => {
                push_many(&mut creation, "creators", value);
                spans.entry("/creationInfo/creators".into()).or_insert(span);
                continue;
            }
            "Created" | "CreatorComment" | "LicenseListVersion" => {
                let key = match tag {
                    "Created" => "created",
                    "CreatorComment" => "comment",
                    _ => "licenseListVersion",
                };
                spans.insert(format!("/creationInfo/{key}"), span);
                creation.insert(key.into(), Value::String(value));
                continue;
            }
            "Relationship" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                let [a, kind, b] = parts.as_slice() else {
                    return Err(ParseError::at(
                        "a Relationship needs `ELEMENT TYPE ELEMENT`",
                        start,
                    ));
                };
                spans.insert(format!("/relationships/{}", relationships.len()), span);
                relationships.push(json!({
                    "spdxElementId": a, "relatedSpdxElement": b, "relationshipType": kind
                }));
                continue;
            }
            "RelationshipComment" => {
                if let Some(Value::Object(r)) = relationships.last_mut() {
                    r.insert("comment".into(), Value::String(value));
                }
                continue;
            }
            "Annotator" => {
                spans.insert(format!("/annotations/{}", annotations.len()), span);
                annotations.push(json!({ "annotator": value }));
                continue;
            }
            "AnnotationDate" | "AnnotationType" | "AnnotationComment" | "SPDXREF" => {
                let key = match tag {
                    "AnnotationDate" => "annotationDate",
                    "AnnotationType" => "annotationType",
                    "AnnotationComment" => "comment",
                    _ => continue,
                };
                match annotations.last_mut() {
                    Some(Value::Object(a)) => {
                        a.insert(key.into(), Value::String(value));
                    }
                    _ => return Err(ParseError::at(format!("{tag} before any Annotator"), start)),
                }
                continue;
            }
            "ExternalRef" if section == Section::Package => {
                let mut parts = value.splitn(3, char::is_whitespace);
                let (Some(cat), Some(kind), Some(loc)) = (parts.next(), parts.next(), parts.next())
                else {
                    return Err(ParseError::at(
                        "an ExternalRef needs `CATEGORY TYPE LOCATOR`",
                        start,
                    ));
                };
                ext_refs.push(json!({
                    "referenceCategory": cat, "referenceType": kind, "referenceLocator": loc.trim()
                }));
                continue;
            }
            "ExternalRefComment" => {
                if let Some(Value::Object(r)) = ext_refs.last_mut() {
                    r.insert("comment".into(), Value::String(value));
                }
                continue;
            }
            "ExternalDocumentRef" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                let [id, uri, alg, sum] = parts.as_slice() else {
                    return Err(ParseError::at(
                        "an ExternalDocumentRef needs `ID URI ALGORITHM: CHECKSUM`",
                        start,
                    ));
                };
                doc_refs.push(json!({
                    "externalDocumentId": id, "spdxDocument": uri,
                    "checksum": {"algorithm": alg.trim_end_matches(':'), "checksumValue": sum}
                }));
                continue;
            }
            "PackageVerificationCode" => {
                let (code, excluded) = match value.split_once('(') {
                    Some((c, rest)) => (
                        c.trim().to_owned(),
                        rest.trim_end_matches(')')
                            .trim()
                            .trim_start_matches("excludes:")
                            .trim()
                            .to_owned(),
                    ),
                    None => (value.clone(), String::new()),
                };
                let mut v = json!({ "packageVerificationCodeValue": code });
                if !excluded.is_empty() {
                    v["packageVerificationCodeExcludedFiles"] = json!([excluded]);
                }
                current.insert("packageVerificationCode".into(), v);
                continue;
            }
            _ => {}
        }
        let Some(f) = field(section, tag) else {
            return Err(ParseError::at(
                format!("SPDX tag `{tag}` is not supported here (custos's tag-value reader)"),
                start,
            ));
        };
        let target = if section == Section::Document {
            &mut doc
        } else {
            &mut current
        };
        let key = match f {
            Field::One(k) => {
                target.insert(k.into(), Value::String(value));
                k
            }
            Field::Many(k) => {
                push_many(target, k, value);
                k
            }
            Field::Bool(k) => {
                target.insert(k.into(), Value::Bool(value.eq_ignore_ascii_case("true")));
                k
            }
            Field::Checksum(k) => {
                let Some((alg, sum)) = value.split_once(':') else {
                    return Err(ParseError::at(
                        format!("{tag} needs `ALGORITHM: VALUE`"),
                        start,
                    ));
                };
                let c = json!({"algorithm": alg.trim(), "checksumValue": sum.trim()});
                match target.entry(k).or_insert_with(|| Value::Array(Vec::new())) {
                    Value::Array(a) => a.push(c),
                    other => *other = Value::Array(vec![c]),
                }
                k
            }
        };
        spans
            .entry(push_token(&current_pointer, key))
            .or_insert(span);
    }
    flush(section, &mut current, &mut lists, &mut ext_refs);
    if !doc_refs.is_empty() {
        doc.insert("externalDocumentRefs".into(), Value::Array(doc_refs));
    }
    doc.insert("creationInfo".into(), Value::Object(creation));
    for (name, items) in lists {
        doc.insert(name.into(), Value::Array(items));
    }
    if !relationships.is_empty() {
        doc.insert("relationships".into(), Value::Array(relationships));
    }
    if !annotations.is_empty() {
        doc.insert("annotations".into(), Value::Array(annotations));
    }
    Ok(ParsedDoc {
        value: Value::Object(doc),
        spans,
    })
}

fn push_many(target: &mut Map<String, Value>, key: &str, value: String) {
    match target
        .entry(key)
        .or_insert_with(|| Value::Array(Vec::new()))
    {
        Value::Array(a) => a.push(Value::String(value)),
        other => *other = Value::Array(vec![Value::String(value)]),
    }
}

/// Close the element being filled: it joins its section's list.
fn flush(
    section: Section,
    current: &mut Map<String, Value>,
    lists: &mut Vec<(&'static str, Vec<Value>)>,
    ext_refs: &mut Vec<Value>,
) {
    let Some(list) = section.list() else {
        return;
    };
    if !ext_refs.is_empty() {
        current.insert(
            "externalRefs".into(),
            Value::Array(std::mem::take(ext_refs)),
        );
    }
    let item = Value::Object(std::mem::take(current));
    if let Some((_, items)) = lists.iter_mut().find(|(n, _)| *n == list) {
        items.push(item);
    } else {
        lists.push((list, vec![item]));
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_value_to_spdx_json() {
        let src = "SPDXVersion: SPDX-2.2\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: hello\nDocumentNamespace: https://example.com/hello\nCreator: Person: Jane (jane@example.com)\nCreator: Tool: builder\nCreated: 2021-08-26T01:46:00Z\n\n# Package\nPackageName: hello\nSPDXID: SPDXRef-Package-hello\nPackageDownloadLocation: git+https://example.com/hello\nFilesAnalyzed: true\nPackageVerificationCode: abc (excludes: ./x.spdx)\nPackageChecksum: SHA1: 123\nPackageLicenseDeclared: GPL-3.0-or-later\nPackageCopyrightText: <text>Copyright\nJane</text>\nExternalRef: PACKAGE-MANAGER purl pkg:generic/hello@1\n\nFileName: ./src/hello.c\nSPDXID: SPDXRef-hello-src\nFileType: SOURCE\nFileChecksum: SHA256: 456\nLicenseConcluded: GPL-3.0-or-later\n\nRelationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-Package-hello\n";
        let p = parse(src, &Limits::default());
        assert!(p.error.is_none(), "{:?}", p.error);
        let v = &p.docs[0].value;
        assert_eq!(v["dataLicense"], "CC0-1.0");
        assert_eq!(v["creationInfo"]["creators"][1], "Tool: builder");
        assert_eq!(v["packages"][0]["filesAnalyzed"], true);
        assert_eq!(v["packages"][0]["checksums"][0]["algorithm"], "SHA1");
        assert_eq!(v["packages"][0]["copyrightText"], "Copyright\nJane");
        assert_eq!(
            v["packages"][0]["packageVerificationCode"]["packageVerificationCodeExcludedFiles"][0],
            "./x.spdx"
        );
        assert_eq!(v["packages"][0]["externalRefs"][0]["referenceType"], "purl");
        assert_eq!(v["files"][0]["fileTypes"][0], "SOURCE");
        assert_eq!(v["relationships"][0]["relationshipType"], "DESCRIBES");
        let s = p.docs[0].spans["/packages/0/licenseDeclared"];
        assert_eq!(&src[s.range()], "PackageLicenseDeclared: GPL-3.0-or-later");
    }

    #[test]
    fn json_is_read_as_is_and_errors_have_lines() {
        let p = parse("{\"spdxVersion\": \"SPDX-2.3\"}", &Limits::default());
        assert_eq!(p.docs[0].value["spdxVersion"], "SPDX-2.3");
        for (src, needle, line) in [
            (
                "SPDXVersion: SPDX-2.2\nnot a tag\n",
                "expected `Tag: value`",
                2,
            ),
            ("Bogus: x\n", "not supported", 1),
            (
                "PackageName: a\nPackageCopyrightText: <text>open\n",
                "never closed",
                2,
            ),
            ("Relationship: a b\n", "ELEMENT TYPE ELEMENT", 1),
        ] {
            let e = parse(src, &Limits::default()).error.unwrap();
            assert!(e.message.contains(needle), "{src:?}: {}", e.message);
            let at = e.span.unwrap().start;
            assert_eq!(src[..at].matches('\n').count() + 1, line, "{src:?}");
        }
    }
}
