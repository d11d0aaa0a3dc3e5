package contract

import (
	"bytes"
	"io"
	"net/http"
	"strings"

	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
)

// libFindings runs libopenapi-validator on x and maps what it reports to checks.
func (v *Validator) libFindings(x *exchange) []finding {
	if x.req == nil {
		return []finding{routeFinding(x, "the request URL does not parse")}
	}
	hdr := x.ex.Header
	if hdr == nil {
		hdr = http.Header{}
	}
	var body io.ReadCloser = http.NoBody
	if len(x.ex.Body) > 0 {
		body = io.NopCloser(bytes.NewReader(x.ex.Body))
	}
	resp := &http.Response{
		StatusCode: x.ex.StatusCode,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     hdr,
		Body:       body,
		Request:    x.req,
	}
	ok, errs := v.lib.ValidateHttpResponse(x.req, resp)
	if ok && len(errs) == 0 {
		return nil
	}
	var fs []finding
	for _, e := range errs {
		if e != nil {
			fs = v.libMap(x, e, fs)
		}
	}
	return fs
}

// libMap turns one libopenapi-validator error into findings.
func (v *Validator) libMap(x *exchange, e *liberrors.ValidationError, fs []finding) []finding {
	switch {
	case e.ValidationType == helpers.PathValidation || e.IsPathMissingError() || e.IsOperationMissingError():
		return addFinding(fs, routeFinding(x, "libopenapi-validator: "+e.Message))
	case e.ValidationSubType == helpers.ResponseBodyResponseCode:
		return addFinding(fs, statusFinding(v, x))
	case e.ValidationSubType == helpers.RequestBodyContentType:
		return addFinding(fs, contentTypeFinding(x))
	case e.ValidationSubType == helpers.ParameterValidationHeader:
		name := e.ParameterName
		return addFinding(fs, finding{
			check: CheckSchema, where: "header:" + http.CanonicalHeaderKey(name),
			got: short(x.ex.Header.Get(name), maxGot), msg: short(e.Message+": "+e.Reason, maxMessage),
		})
	}
	if len(e.SchemaValidationErrors) == 0 {
		if strings.Contains(e.Reason, "cannot be decoded") || strings.Contains(e.Reason, "missing") ||
			strings.Contains(e.Message, "could not be decoded") || strings.Contains(e.Message, "cannot be read") {
			return addFinding(fs, bodyDecodeFinding(x, "libopenapi-validator: "+e.Reason))
		}
		return addFinding(fs, finding{check: CheckSchema, where: "body", msg: short(e.Message+": "+e.Reason, maxMessage)})
	}
	for _, s := range e.SchemaValidationErrors {
		if s == nil {
			continue
		}
		where := libPointer(s)
		keyword := lastSegment(s.KeywordLocation)
		if keyword == "required" {
			fs = v.libRequired(x, where, s.Reason, fs)
			continue
		}
		f := finding{check: classify(where, keyword), where: where}
		f.got, f.want = v.gotWant(x, where, keyword)
		f.msg = short(s.Reason, maxMessage)
		fs = addFinding(fs, f)
	}
	return fs
}

// libPointer returns the JSON pointer of a schema failure: the instance path segments are
// already escaped as in a JSON pointer; FieldPath ($.files[0].size) is the fallback.
func libPointer(s *liberrors.SchemaValidationFailure) string {
	if len(s.InstancePath) > 0 {
		n := 0
		for _, seg := range s.InstancePath {
			n += len(seg) + 1
		}
		var b strings.Builder
		b.Grow(n)
		for _, seg := range s.InstancePath {
			b.WriteByte('/')
			b.WriteString(seg)
		}
		return b.String()
	}
	return jsonPathToPointer(s.FieldPath)
}

// jsonPathToPointer turns a simple JSONPath ($.files[0].size, $['a.b']) into a JSON pointer
// (/files/0/size); "$" or "" give "body".
func jsonPathToPointer(p string) string {
	p = strings.TrimPrefix(p, "$")
	if p == "" {
		return "body"
	}
	var segs []string
	for p != "" {
		switch {
		case strings.HasPrefix(p, "['"):
			end := strings.Index(p[2:], "']")
			if end < 0 {
				segs = append(segs, p[2:])
				p = ""
				continue
			}
			segs = append(segs, p[2:2+end])
			p = p[2+end+2:]
		case p[0] == '[':
			end := strings.IndexByte(p, ']')
			if end < 0 {
				segs = append(segs, p[1:])
				p = ""
				continue
			}
			segs = append(segs, p[1:end])
			p = p[end+1:]
		case p[0] == '.':
			p = p[1:]
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			segs = append(segs, p[:end])
			p = p[end:]
		default:
			end := strings.IndexAny(p, ".[")
			if end < 0 {
				end = len(p)
			}
			segs = append(segs, p[:end])
			p = p[end:]
		}
	}
	return pointer(segs)
}

// libRequired expands a "required" failure, which libopenapi-validator locates at the object
// that lacks properties, into one finding per missing property, located at the property
// (as kin-openapi does), so that the two engines' findings can be compared.
func (v *Validator) libRequired(x *exchange, where, reason string, fs []finding) []finding {
	var missing []string
	if schema := v.schemaAt(x, where); schema != nil && len(schema.Required) > 0 {
		if body, ok := x.decoded(); ok {
			if obj, ok := valueAt(body, where).(map[string]any); ok {
				for _, name := range schema.Required {
					if _, present := obj[name]; !present {
						missing = append(missing, name)
					}
				}
			}
		}
	}
	if len(missing) == 0 {
		missing = quotedNames(reason)
	}
	base := where
	if base == "body" {
		base = ""
	}
	for _, name := range missing {
		p := base + pointer([]string{name})
		_, want := v.gotWant(x, p, "required")
		fs = addFinding(fs, finding{
			check: CheckSchema, where: p, got: "absent", want: want,
			msg: short(reason, maxMessage),
		})
	}
	if len(missing) == 0 {
		fs = addFinding(fs, finding{check: CheckSchema, where: where, msg: short(reason, maxMessage)})
	}
	return fs
}

// quotedNames returns the names quoted with ' in a message such as
// "missing properties 'a', 'b'".
func quotedNames(s string) []string {
	var names []string
	for {
		i := strings.IndexByte(s, '\'')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(s[i+1:], '\'')
		if j < 0 {
			return names
		}
		names = append(names, s[i+1:i+1+j])
		s = s[i+1+j+1:]
	}
}

// lastSegment returns what follows the last '/' of s.
func lastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}
