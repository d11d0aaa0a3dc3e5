package contract

import (
	"strconv"
	"strings"
)

// Severity says how much a Violation matters.
type Severity int

const (
	// Failure is a broken promise of the contract: the exchange does not conform.
	Failure Severity = iota
	// Warning is something a well-behaved endpoint should do but the contract does not require
	// (for example sending X-Request-Id).
	Warning
	// Note is information for the reader of a report, such as a disagreement between the
	// two validation engines. It never fails a run.
	Note
)

// String returns "failure", "warning" or "note".
func (s Severity) String() string {
	switch s {
	case Failure:
		return "failure"
	case Warning:
		return "warning"
	case Note:
		return "note"
	}
	return "severity(" + strconv.Itoa(int(s)) + ")"
}

// Names of the engines that can report a finding, as they appear in Violation.Engine.
// A finding reported by several of them carries their names joined with "+", kin-openapi
// first, then libopenapi-validator, then rules; EngineBoth stands for
// "kin-openapi+libopenapi-validator". So Engine is one of "kin-openapi",
// "libopenapi-validator", "both", "rules", "kin-openapi+rules",
// "libopenapi-validator+rules" or "both+rules".
const (
	EngineKin   = "kin-openapi"          // github.com/getkin/kin-openapi/openapi3filter
	EngineLib   = "libopenapi-validator" // github.com/pb33f/libopenapi-validator
	EngineBoth  = "both"                 // both OpenAPI engines
	EngineRules = "rules"                // the named rules of this package
)

// Names of the checks. Every Violation carries one of them in Check.
const (
	// CheckRoute: the request is GET /v3/{project_id}/backup-files, the operation described.
	CheckRoute = "route"
	// CheckStatusCode: the response status is one the description documents.
	CheckStatusCode = "status_code"
	// CheckContentType: a JSON body comes with the media type application/json.
	CheckContentType = "content_type"
	// CheckSchema: the body matches the response schema of its status.
	CheckSchema = "schema"
	// CheckTimestampFormat: every files[i].link_expired_time is yyyy-mm-ddThh:mm:ss±hhmm.
	CheckTimestampFormat = "timestamp_format"
	// CheckLinkHTTPS: every files[i].download_link is an absolute https URL with a host.
	CheckLinkHTTPS = "link_https"
	// CheckLinkNotExpired: every link expires after the response's Date and at most
	// Options.MaxLinkTTL after it.
	CheckLinkNotExpired = "link_not_expired"
	// CheckLinkExpiryConsistent: a link's Expires query parameter agrees with its
	// link_expired_time within a minute.
	CheckLinkExpiryConsistent = "link_expiry_consistent"
	// CheckErrorBody: a non-2xx body is a JSON object with string error_code and error_msg.
	CheckErrorBody = "error_body"
	// CheckRequestID: the response carries X-Request-Id (a Warning when it does not).
	CheckRequestID = "request_id"
	// CheckUndocumented: the body holds a field the description does not declare (a Warning, a
	// Failure with Options.Strict): how an operator learns that the provider added one.
	CheckUndocumented = "undocumented"
	// CheckEngineDisagreement: one OpenAPI engine reported a finding the other did not (a Note).
	CheckEngineDisagreement = "engine_disagreement"
)

// Checks lists every check name in a stable order (the order in which Validate sorts its
// result), so that a report can hold one entry per check whether or not it was violated.
// It is derived from the table of checks (checks.go): adding a check is adding a row there.
var Checks = checkNames()

// checkOrder gives each check its index in Checks.
var checkOrder = func() map[string]int {
	m := make(map[string]int, len(Checks))
	for i, c := range Checks {
		m[c] = i
	}
	return m
}()

// Violation is one broken promise (or a warning or note) found in one exchange.
//
// Where is one of: a JSON pointer into the response body starting with "/" (for example
// "/files/0/link_expired_time"); "body" for the body as a whole; "header:<Name>" for a
// response header; "status" for the status code; "request" for the request line.
//
// Got, Want and Message never hold secrets: signing query parameters of links and other
// credentials are replaced by "REDACTED".
type Violation struct {
	Check    string   // the check's name, one of Checks
	Severity Severity // Failure, Warning or Note
	Where    string   // the place in the response (see above)
	Got      string   // what was received, short (at most about 120 characters), redacted
	Want     string   // what was expected
	Engine   string   // who found it: see EngineKin, EngineLib, EngineBoth, EngineRules
	Message  string   // a sentence saying what is wrong
}

// String renders v on one line: "check @ where: message (got ..., want ...) [engine]".
// The parenthesis leaves out what is empty.
func (v Violation) String() string {
	var b strings.Builder
	b.Grow(len(v.Check) + len(v.Where) + len(v.Message) + len(v.Got) + len(v.Want) + len(v.Engine) + 32)
	b.WriteString(v.Check)
	b.WriteString(" @ ")
	b.WriteString(v.Where)
	b.WriteString(": ")
	b.WriteString(v.Message)
	switch {
	case v.Got != "" && v.Want != "":
		b.WriteString(" (got ")
		b.WriteString(v.Got)
		b.WriteString(", want ")
		b.WriteString(v.Want)
		b.WriteString(")")
	case v.Got != "":
		b.WriteString(" (got ")
		b.WriteString(v.Got)
		b.WriteString(")")
	case v.Want != "":
		b.WriteString(" (want ")
		b.WriteString(v.Want)
		b.WriteString(")")
	}
	if v.Engine != "" {
		b.WriteString(" [")
		b.WriteString(v.Engine)
		b.WriteString("]")
	}
	return b.String()
}

// FoundBy reports whether engine (EngineKin, EngineLib or EngineRules) reported v.
func (v Violation) FoundBy(engine string) bool {
	switch engine {
	case EngineKin, EngineLib:
		return strings.Contains(v.Engine, engine) || strings.HasPrefix(v.Engine, EngineBoth)
	default:
		return strings.Contains(v.Engine, engine)
	}
}

// Failures returns the violations of vs whose severity is Failure, in order.
func Failures(vs []Violation) []Violation {
	var out []Violation
	for _, v := range vs {
		if v.Severity == Failure {
			out = append(out, v)
		}
	}
	return out
}

// engineName joins the names of the engines that found a finding.
func engineName(kin, lib, rules bool) string {
	var s string
	switch {
	case kin && lib:
		s = EngineBoth
	case kin:
		s = EngineKin
	case lib:
		s = EngineLib
	}
	if rules {
		if s == "" {
			return EngineRules
		}
		return s + "+" + EngineRules
	}
	return s
}
