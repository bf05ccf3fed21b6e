# LOG002: raw prompt or completion text in a log source declared redacted (`redacted = true`
# in its `[[logs.source]]`). Fields that hold prompts and completions (`prompt`, `messages`,
# `input`, `completion`, `choices`, …) must carry redaction markers, hashes or nothing there;
# readable text is a finding, counted, at the first such record. The text is never quoted.
package custos.logs.raw_prompts

import data.custos.logs.lib
import rego.v1

metadata := {
	"id": "LOG002",
	"title": "Raw prompt text in a redacted log source",
	"description": "A log source declared redacted carries readable prompt or completion text. Prompts hold personal data and secrets users paste; a source the organisation relies on being redacted that is not is an unmanaged copy of that data.",
	"severity": "high",
	"kinds": ["log-aggregate"],
	"controls": ["GDPR:Art.5(1)(c)", "GDPR:Art.32", "ISO27001:A.8.11", "SOC2:CC6.1", "OWASP-LLM:LLM02:2025", "NIST-800-53:AU-9", "NIST-AI-RMF:MEASURE 2.10"],
	"remediation": "Redact or hash prompt and completion fields before the records are written (custos redact can sit in the logging pipeline), and purge the affected records.",
	"sensitive": true,
}

deny contains {"msg": msg, "path": ["raw_prompts"]} if {
	input.redacted == true
	n := lib.number(input.raw_prompts, "records")
	n > 0
	total := lib.number(input, "records")
	msg := sprintf("%d of %d records (%s) of log source %q, declared redacted, carry raw prompt or completion text; first at %s", [n, total, lib.pct(n, total), lib.text(input.source), lib.where(object.get(input.raw_prompts, "at", null))])
}
