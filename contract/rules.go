package contract

import (
	"net/http"
	"strings"
)

// The rules about the response as a whole. Each is one row of checkTable.

// ruleRoute checks the promise of route that the engines cannot look at: the request URL
// parses (the engines then find the route, or report that it is not the operation).
func ruleRoute(_ *Validator, x *exchange, out []Violation) []Violation {
	if x.req != nil {
		return out
	}
	return append(out, ruleViolation(routeFinding(x, "the request URL does not parse"), Failure))
}

// ruleStatusCode checks that the response status is one the description documents.
func ruleStatusCode(v *Validator, x *exchange, out []Violation) []Violation {
	if _, documented := v.documented[x.ex.StatusCode]; documented {
		return out
	}
	return append(out, ruleViolation(statusFinding(v, x), Failure))
}

// ruleContentType checks that a documented response, or any response whose body is JSON,
// comes with the media type application/json.
func ruleContentType(v *Validator, x *exchange, out []Violation) []Violation {
	if isJSONMediaType(x.ex.Header.Get("Content-Type")) {
		return out
	}
	if _, documented := v.documented[x.ex.StatusCode]; documented {
		return append(out, ruleViolation(contentTypeFinding(x), Failure))
	}
	if _, bodyOK := x.decoded(); !bodyOK {
		return out // not JSON, and not documented: nothing to say about its media type
	}
	f := contentTypeFinding(x)
	f.msg = "a JSON body came with a media type other than application/json"
	return append(out, ruleViolation(f, Failure))
}

// ruleRequestID checks that the response carries X-Request-Id, which the provider's
// support asks for (a Warning: the contract does not require it).
func ruleRequestID(_ *Validator, x *exchange, out []Violation) []Violation {
	if x.ex.Header.Get("X-Request-Id") != "" {
		return out
	}
	return append(out, Violation{
		Check: CheckRequestID, Severity: Warning, Where: "header:X-Request-Id",
		Got: "(none)", Want: "a request ID", Engine: EngineRules,
		Message: "the response has no X-Request-Id header; the provider's support asks for it",
	})
}

// ruleErrorBody checks that the body of a non-2xx response (one that can have a body) is
// the provider's error object: a JSON object with string error_code and error_msg.
func ruleErrorBody(_ *Validator, x *exchange, out []Violation) []Violation {
	status := x.ex.StatusCode
	if status >= 200 && status <= 299 {
		return out
	}
	if len(x.ex.Body) == 0 && (status < 200 || status == http.StatusNotModified) {
		return out // a response that cannot have a body
	}
	want := `a JSON object with string "error_code" and "error_msg"`
	body, bodyOK := x.decoded()
	if !bodyOK {
		f := bodyDecodeFinding(x, "")
		return append(out, Violation{
			Check: CheckErrorBody, Severity: Failure, Where: "body", Got: f.got, Want: want,
			Engine: EngineRules, Message: "the error body is not the provider's error object: " + f.msg,
		})
	}
	obj, ok := body.(map[string]any)
	if !ok {
		return append(out, Violation{
			Check: CheckErrorBody, Severity: Failure, Where: "body", Got: gotBody(x), Want: want,
			Engine: EngineRules, Message: "the error body is JSON but not an object",
		})
	}
	_, hasCode := obj["error_code"]
	_, hasMsg := obj["error_msg"]
	if !hasCode && !hasMsg && (obj["code"] != nil || obj["message"] != nil) {
		return append(out, Violation{
			Check: CheckErrorBody, Severity: Failure, Where: "body", Got: `{"code", "message"}`, Want: want,
			Engine: EngineRules, Message: `the error body has the shape {"code", "message"} (which the provider's SDK also reads), not the documented {"error_code", "error_msg"}`,
		})
	}
	for _, name := range [...]string{"error_code", "error_msg"} {
		val, present := obj[name]
		if _, isString := val.(string); present && isString {
			continue
		}
		got := "absent"
		msg := "the error body has no " + name
		if present {
			if ev, ok := x.exactly(); ok {
				val = valueAt(ev, "/"+name)
			}
			got = short(render(val), maxGot)
			msg = "the error body's " + name + " is not a string"
		}
		out = append(out, Violation{
			Check: CheckErrorBody, Severity: Failure, Where: "/" + name, Got: got, Want: "a string",
			Engine: EngineRules, Message: msg,
		})
	}
	return out
}

// gotBody renders the whole body (numbers as received).
func gotBody(x *exchange) string {
	if ev, ok := x.exactly(); ok {
		return short(render(ev), maxGot)
	}
	return short(string(x.ex.Body), maxGot)
}

// ruleViolation turns a shared finding into a Violation of the rules.
func ruleViolation(f finding, sev Severity) Violation {
	return Violation{Check: f.check, Severity: sev, Where: f.where, Got: f.got, Want: f.want, Engine: EngineRules, Message: f.msg}
}

// isJSONMediaType reports whether a Content-Type value is application/json (parameters,
// such as charset, allowed).
func isJSONMediaType(ct string) bool {
	base, _, _ := strings.Cut(ct, ";")
	return strings.EqualFold(strings.TrimSpace(base), "application/json")
}
