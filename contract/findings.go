package contract

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/openapi"
)

// Findings shared by the engines (and the rules), so that the same problem reads the same
// whoever reports it.

func routeFinding(x *exchange, detail string) finding {
	method := x.ex.Method
	if method == "" {
		method = "GET"
	}
	path := x.ex.URL
	if x.req != nil {
		path = x.req.URL.Path
	}
	return finding{
		check: CheckRoute, where: "request",
		got:  short(method+" "+path, maxGot),
		want: "GET " + operationPath,
		msg:  short("the request is not the operation this contract describes ("+detail+")", maxMessage),
	}
}

func statusFinding(v *Validator, x *exchange) finding {
	code := strconv.Itoa(x.ex.StatusCode)
	return finding{
		check: CheckStatusCode, where: "status",
		got: code, want: "one of " + v.statusList,
		msg: "status " + code + " is not documented for this operation",
	}
}

func contentTypeFinding(x *exchange) finding {
	return finding{
		check: CheckContentType, where: "header:Content-Type",
		got: contentTypeGot(x), want: "application/json",
		msg: "the body's media type is not the documented application/json",
	}
}

func contentTypeGot(x *exchange) string {
	ct := x.ex.Header.Get("Content-Type")
	if ct == "" {
		return "(none)"
	}
	return short(ct, maxGot)
}

func bodyDecodeFinding(x *exchange, detail string) finding {
	msg := detail
	if _, ok := x.exactly(); !ok && x.exactErr != nil {
		if len(bytes.TrimSpace(x.ex.Body)) == 0 {
			msg = "the body is empty; a JSON document was expected"
		} else {
			msg = "the body is not valid JSON: " + x.exactErr.Error()
		}
	}
	got := "(empty)"
	if len(x.ex.Body) > 0 {
		got = short(strconv.Quote(scrub(string(x.ex.Body))), maxGot)
	}
	return finding{
		check: CheckSchema, where: "body", got: got,
		want: "a JSON document matching the response schema",
		msg:  short(msg, maxMessage),
	}
}

// classify names the check of a schema finding at where about keyword: a pattern or format
// finding on link_expired_time is timestamp_format; everything else is schema.
func classify(where, keyword string) string {
	if (keyword == "format" || keyword == "pattern") && strings.HasSuffix(where, "/link_expired_time") {
		return CheckTimestampFormat
	}
	return CheckSchema
}

// gotWant describes the value at where (from the decoded body) and what the schema wants
// there by keyword.
func (v *Validator) gotWant(x *exchange, where, keyword string) (got, want string) {
	if body, ok := x.exactly(); ok {
		if val, found := lookup(body, where); found {
			got = short(render(val), maxGot)
		} else {
			got = "absent"
		}
	}
	if classify(where, keyword) == CheckTimestampFormat {
		return got, rdsbackup.TimestampLayoutHuman
	}
	return got, wantFor(v.schemaAt(x, where), keyword)
}

// schemaAt returns the schema that the body schema of x's status gives the value at where.
func (v *Validator) schemaAt(x *exchange, where string) *openapi3.Schema {
	s := v.documented[x.ex.StatusCode]
	if s == nil || where == "body" {
		return s
	}
	for _, seg := range strings.Split(strings.TrimPrefix(where, "/"), "/") {
		seg = unescapePointer(seg)
		switch {
		case s.Properties[seg] != nil:
			s = s.Properties[seg].Value
		case s.Items != nil && isIndex(seg):
			s = s.Items.Value
		default:
			return nil
		}
		if s == nil {
			return nil
		}
	}
	return s
}

// wantFor says what keyword of schema asks for.
func wantFor(s *openapi3.Schema, keyword string) string {
	if s == nil {
		if keyword == "required" {
			return "present (required)"
		}
		return keyword
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	switch keyword {
	case "type":
		t := strings.Join(s.Type.Slice(), " or ")
		if s.Format == "int64" || s.Format == "int32" {
			t += " (" + s.Format + ")"
		}
		if t == "" {
			return "type of the schema"
		}
		return t
	case "minimum":
		if s.Min != nil {
			return ">= " + num(*s.Min)
		}
	case "maximum":
		if s.Max != nil {
			return "<= " + num(*s.Max)
		}
	case "minLength":
		return "at least " + strconv.FormatUint(s.MinLength, 10) + " character(s)"
	case "maxLength":
		if s.MaxLength != nil {
			return "at most " + strconv.FormatUint(*s.MaxLength, 10) + " character(s)"
		}
	case "format":
		switch s.Format {
		case openapi.TimestampFormat:
			return rdsbackup.TimestampLayoutHuman
		case "uri":
			return "an absolute URI"
		case "int64":
			return "a 64-bit integer"
		case "int32":
			return "a 32-bit integer"
		}
		return "format " + s.Format
	case "pattern":
		return "a string matching " + s.Pattern
	case "required":
		return "present (required)"
	case "nullable":
		if t := strings.Join(s.Type.Slice(), " or "); t != "" {
			return "not null: " + t
		}
		return "not null"
	case "enum":
		var b strings.Builder
		b.WriteString("one of ")
		for i, e := range s.Enum {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(render(e))
		}
		return b.String()
	}
	return keyword + " of the schema"
}

// lookup returns the value at a JSON pointer (or "body", the whole document).
func lookup(doc any, where string) (any, bool) {
	if where == "body" || where == "" {
		return doc, true
	}
	if !strings.HasPrefix(where, "/") {
		return nil, false
	}
	cur := doc
	rest := where[1:]
	for {
		seg, next, more := strings.Cut(rest, "/")
		seg = unescapePointer(seg)
		switch c := cur.(type) {
		case map[string]any:
			val, ok := c[seg]
			if !ok {
				return nil, false
			}
			cur = val
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
		if !more {
			return cur, true
		}
		rest = next
	}
}

// valueAt is lookup without the found flag.
func valueAt(doc any, where string) any {
	v, _ := lookup(doc, where)
	return v
}

func unescapePointer(s string) string {
	if strings.IndexByte(s, '~') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// render writes a decoded JSON value compactly: strings quoted, numbers as received.
// HTML characters are not escaped (so that & in links stays & and redaction sees it).
func render(val any) string {
	switch t := val.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(t)
	case json.Number:
		return string(t)
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'g', -1, 64)
	}
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(val); err != nil {
		return "?"
	}
	return strings.TrimSuffix(b.String(), "\n")
}
