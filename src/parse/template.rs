//! Helm chart templates: YAML with Go-template actions (`{{ .Values.x }}`, `{{- if … }}`).
//!
//! A template is not YAML until Helm renders it, so parsing it as YAML gives errors on valid
//! charts. custos does not render charts (that needs the values and Helm's function library);
//! instead every action is blanked out — replaced by spaces of the same byte length, newlines
//! kept — and what remains is parsed as YAML. Byte offsets are unchanged, so every span points
//! into the real template. A templated value becomes `null` (unknown), which rules treat as not
//! a literal; static parts (`kind: Secret`, a hardcoded `value:`) are evaluated as usual. When
//! the blanked text is still not YAML (actions that generate keys or structure), the file is
//! only checked by the text detectors: a template that needs rendering is not a parse error.

use super::{yaml, Limits, Parsed};

/// Blank every `{{ … }}` action (including `{{- … -}}` and `{{/* comments */}}`).
pub fn blank_actions(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open..];
        let Some(close) = after.find("}}") else {
            out.push_str(after);
            return out;
        };
        let action = &after[..close + 2];
        for c in action.chars() {
            if c == '\n' {
                out.push('\n');
            } else {
                out.extend(std::iter::repeat_n(' ', c.len_utf8()));
            }
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

/// Parse a Helm template as far as its static YAML goes (see the module doc).
pub fn parse_helm(source: &str, limits: &Limits) -> Parsed {
    let blanked = blank_actions(source);
    let parsed = yaml::parse(&blanked, limits);
    if parsed.error.is_some() {
        return Parsed::default();
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanking_keeps_offsets_and_lines() {
        let src = "a: {{ .Values.x }}\n{{- if .Values.y }}\nb: \"{{ .Values.é }}\"\n{{- end }}\n";
        let b = blank_actions(src);
        assert_eq!(b.len(), src.len());
        assert_eq!(b.lines().count(), src.lines().count());
        assert!(!b.contains("{{"));
        assert_eq!(&b[..3], "a: ");
        let unterminated = "a: {{ .Values.x\n";
        assert_eq!(blank_actions(unterminated), unterminated);
    }

    #[test]
    fn static_parts_are_evaluated_and_templated_values_are_null() {
        let src = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ include \"x.fullname\" . }}\nstringData:\n  password: {{ .Values.password | quote }}\n  token: hunter2hunter2\n";
        let p = parse_helm(src, &Limits::default());
        assert!(p.error.is_none());
        let doc = &p.docs[0];
        assert_eq!(doc.value["kind"], "Secret");
        assert!(doc.value["stringData"]["password"].is_null());
        assert_eq!(doc.value["stringData"]["token"], "hunter2hunter2");
        let span = doc.spans["/stringData/token"];
        assert_eq!(&src[span.start..span.end], "hunter2hunter2");
    }

    #[test]
    fn structure_made_by_actions_is_not_an_error() {
        let src = "{{- range $k, $v := .Values.env }}\n{{ $k }}: {{ $v }}\n  - {{ end }}\n: x\n";
        let p = parse_helm(src, &Limits::default());
        assert!(p.error.is_none());
    }
}
