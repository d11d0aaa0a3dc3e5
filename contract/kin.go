package contract

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// kinFindings runs kin-openapi on x and maps what it reports to checks.
func (v *Validator) kinFindings(x *exchange) []finding {
	if x.req == nil {
		return []finding{routeFinding(x, "the request URL does not parse")}
	}
	route, params, err := v.kinRouter.FindRoute(x.req)
	if err != nil {
		return []finding{routeFinding(x, "kin-openapi: "+err.Error())}
	}
	hdr := x.ex.Header
	if hdr == nil {
		hdr = http.Header{}
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    x.req,
			PathParams: params,
			Route:      route,
		},
		Status:  x.ex.StatusCode,
		Header:  hdr,
		Body:    io.NopCloser(bytes.NewReader(x.ex.Body)),
		Options: v.kinOpts,
	}
	err = openapi3filter.ValidateResponse(bg, in)
	if err == nil {
		return nil
	}
	return v.kinMap(x, err, nil)
}

// kinMap turns an error of openapi3filter.ValidateResponse into findings.
func (v *Validator) kinMap(x *exchange, err error, fs []finding) []finding {
	var re *openapi3filter.ResponseError
	if !errors.As(err, &re) {
		return v.kinSchemaErrors(x, err, fs)
	}
	switch {
	case re.Reason == "status is not supported":
		return addFinding(fs, statusFinding(v, x))
	case strings.Contains(re.Reason, "header Content-Type has unexpected value"):
		return addFinding(fs, contentTypeFinding(x))
	case strings.HasPrefix(re.Reason, "response header "):
		name := headerName(re.Reason)
		return addFinding(fs, finding{
			check: CheckSchema, where: "header:" + name,
			got: short(x.ex.Header.Get(name), maxGot), msg: short(re.Error(), maxMessage),
		})
	case re.Reason == "failed to decode response body":
		return addFinding(fs, bodyDecodeFinding(x, "kin-openapi: "+re.Reason))
	}
	if re.Err != nil {
		return v.kinSchemaErrors(x, re.Err, fs)
	}
	return addFinding(fs, finding{check: CheckSchema, where: "body", msg: short(re.Error(), maxMessage)})
}

// kinSchemaErrors maps schema errors (a MultiError of them, normally) to findings.
func (v *Validator) kinSchemaErrors(x *exchange, err error, fs []finding) []finding {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		for _, e := range me {
			fs = v.kinSchemaErrors(x, e, fs)
		}
		return fs
	}
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return addFinding(fs, finding{check: CheckSchema, where: "body", msg: short(err.Error(), maxMessage)})
	}
	ptr := se.JSONPointer()
	where := pointer(ptr)
	keyword := se.SchemaField
	f := finding{check: classify(where, keyword), where: where}
	f.got, f.want = v.gotWant(x, where, keyword)
	if keyword == "required" {
		f.got = "absent"
	}
	f.msg = short(se.Reason, maxMessage)
	return addFinding(fs, f)
}

// pointer renders JSON pointer segments ("" for the root is rendered "body").
func pointer(segs []string) string {
	if len(segs) == 0 {
		return "body"
	}
	var b strings.Builder
	for _, s := range segs {
		b.WriteByte('/')
		if strings.ContainsAny(s, "~/") {
			s = strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
		}
		b.WriteString(s)
	}
	return b.String()
}

// headerName extracts the quoted header name of a kin-openapi "response header ..." reason.
func headerName(reason string) string {
	if i := strings.IndexByte(reason, '"'); i >= 0 {
		if s, err := strconv.QuotedPrefix(reason[i:]); err == nil {
			if n, err := strconv.Unquote(s); err == nil {
				return http.CanonicalHeaderKey(n)
			}
		}
	}
	return "?"
}
