// Package contract checks HTTP exchanges of the RDS v3 operation
// GET /v3/{project_id}/backup-files ("Obtaining the Link for Downloading a Backup File",
// https://support.huaweicloud.com/intl/en-us/api-rds/rds_09_0006.html) against the OpenAPI
// description in package openapi and against a table of named checks.
//
// Two OpenAPI engines check every exchange, kin-openapi (openapi3filter) and
// libopenapi-validator, and the rules of this package add what a schema cannot say (links are
// https, not yet expired, consistent with their Expires parameter; error bodies carry a code
// and a message; responses carry a request ID). Every finding is a Violation named by its
// check (see Checks; CheckInfos describes each one), located by a JSON pointer or a header
// name, and attributed to the engines that made it; when only one of the two OpenAPI engines
// reports something, a Note (check "engine_disagreement") says so.
//
// A Validator is built once (NewValidator) and is safe for concurrent use.
package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	"github.com/pb33f/libopenapi-validator/content"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/openapi"
)

// DefaultMaxLinkTTL is the longest a download link may stay valid after the response's Date
// when Options.MaxLinkTTL is zero.
const DefaultMaxLinkTTL = 7 * 24 * time.Hour

// operationPath is the path template of the operation this package checks.
const operationPath = "/v3/{project_id}/backup-files"

// Exchange is one HTTP request and its response, as sent and received.
type Exchange struct {
	Method        string      // the request method; empty means GET
	URL           string      // the request URL as sent: absolute, or path and query
	RequestHeader http.Header // the request headers (may be nil)
	StatusCode    int         // the response status code
	Header        http.Header // the response headers (may be nil)
	Body          []byte      // the response body
	// Received is when the response arrived, when known (a live exchange; zero for a
	// recording): check link_not_expired uses it when the response has no usable Date.
	Received time.Time
}

// Options tune a Validator.
type Options struct {
	// MaxLinkTTL is the longest a download link may stay valid after the response's Date
	// (check link_not_expired). Zero means DefaultMaxLinkTTL (7 days).
	MaxLinkTTL time.Duration
	// Now, when set, stands in for a missing or unparsable Date response header as the time
	// the response was received, for check link_not_expired. When Now is nil, a response
	// without a Date header skips that check.
	Now func() time.Time
	// Strict makes undocumented fields (check undocumented) failures instead of warnings
	// (RDS_STRICT=1 in the suite).
	Strict bool
}

// Validator validates exchanges of GET /v3/{project_id}/backup-files. Both engines are
// built once, by NewValidator, from openapi.Spec(). Its methods are safe for concurrent use.
type Validator struct {
	opts Options

	kinRouter routers.Router
	kinOpts   *openapi3filter.Options

	lib validator.Validator

	// documented maps each documented status code to the schema of its JSON body.
	documented map[int]*openapi3.Schema
	// statusList is the documented status codes, ascending, for messages.
	statusList string
}

// NewValidator builds the two OpenAPI engines from the embedded description, with the
// custom format rds-timestamp registered in both (checked by rdsbackup.CheckTimestamp).
func NewValidator(opts Options) (*Validator, error) {
	if opts.MaxLinkTTL <= 0 {
		opts.MaxLinkTTL = DefaultMaxLinkTTL
	}
	spec := openapi.Spec()
	v := &Validator{opts: opts}

	// kin-openapi
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("contract: kin-openapi cannot load the description: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("contract: kin-openapi finds the description invalid: %w", err)
	}
	doc.Servers = nil // match any host: httptest servers, recordings, private clouds
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("contract: kin-openapi router: %w", err)
	}
	v.kinRouter = router
	v.kinOpts = &openapi3filter.Options{
		IncludeResponseStatus: true,
		MultiError:            true,
		SchemaValidationOptions: []openapi3.SchemaValidationOption{
			openapi3.WithStringFormatValidators(kinStringFormats),
			openapi3.DisableSchemaErrorDetails(),
		},
	}
	item := doc.Paths.Value(operationPath)
	if item == nil || item.Get == nil || item.Get.Responses == nil {
		return nil, fmt.Errorf("contract: the description has no GET %s", operationPath)
	}
	v.documented = make(map[int]*openapi3.Schema)
	var codes []int
	for code, ref := range item.Get.Responses.Map() {
		n, err := strconv.Atoi(code)
		if err != nil || ref == nil || ref.Value == nil {
			continue
		}
		var schema *openapi3.Schema
		if mt := ref.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
			schema = mt.Schema.Value
		}
		v.documented[n] = schema
		codes = append(codes, n)
	}
	slices.Sort(codes)
	var sl strings.Builder
	for i, c := range codes {
		if i > 0 {
			sl.WriteString(", ")
		}
		sl.WriteString(strconv.Itoa(c))
	}
	v.statusList = sl.String()

	// libopenapi-validator
	libDoc, err := libopenapi.NewDocument(spec)
	if err != nil {
		return nil, fmt.Errorf("contract: libopenapi cannot load the description: %w", err)
	}
	lv, errs := validator.NewValidator(libDoc,
		config.WithFormatAssertions(),
		config.WithCustomFormat(openapi.TimestampFormat, libTimestampFormat),
		config.WithBodyDecoder("application/json", sharingJSONDecoder{content.JSONDecoder()}),
	)
	if len(errs) > 0 {
		return nil, fmt.Errorf("contract: libopenapi-validator: %w", errors.Join(errs...))
	}
	v.lib = lv
	return v, nil
}

// kinStringFormats are the string formats kin-openapi checks for us. "uri" is registered
// because kin-openapi does not check it by itself while libopenapi-validator (with format
// assertions) does; the check mirrors the JSON Schema one (parses, and is absolute).
var kinStringFormats = map[string]openapi3.StringFormatValidator{
	openapi.TimestampFormat: openapi3.NewCallbackValidator(rdsbackup.CheckTimestamp),
	"uri":                   openapi3.NewCallbackValidator(checkURI),
}

// checkURI is the "uri" format: an absolute URI.
func checkURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URI")
	}
	if !u.IsAbs() {
		return errors.New("not an absolute URI")
	}
	return nil
}

// libTimestampFormat is the rds-timestamp format for libopenapi-validator.
func libTimestampFormat(v any) error {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	return rdsbackup.CheckTimestamp(s)
}

// Validate checks ex with both OpenAPI engines and the rules, and returns what it found,
// ordered by check (the order of Checks) and then by place. A conforming exchange yields no
// Failure (it may yield a Warning, such as a missing X-Request-Id).
func (v *Validator) Validate(ex Exchange) []Violation {
	x := newExchange(&ex)
	kin := v.kinFindings(x)
	lib := v.libFindings(x)
	rules := v.rules(x)
	return merge(kin, lib, rules, true)
}

// ValidateKin checks ex with kin-openapi alone (no rules, no comparison).
func (v *Validator) ValidateKin(ex Exchange) []Violation {
	x := newExchange(&ex)
	return merge(v.kinFindings(x), nil, nil, false)
}

// ValidateLib checks ex with libopenapi-validator alone (no rules, no comparison).
func (v *Validator) ValidateLib(ex Exchange) []Violation {
	x := newExchange(&ex)
	return merge(nil, v.libFindings(x), nil, false)
}

// exchange is an Exchange being validated, with what is derived from it once.
type exchange struct {
	ex     *Exchange
	req    *http.Request // nil when the URL does not parse
	reqErr error

	// tree is the body decoded as JSON for the rules (objects as map[string]any, arrays as
	// []any, numbers as float64): by libopenapi-validator's own JSON decoder when it decodes
	// the body (see sharingJSONDecoder), else by decoded on first use.
	tree     any
	treeDone bool
	treeErr  error

	// exact is the body decoded with numbers kept as received (json.Number), for the Got of
	// violations only.
	exact     any
	exactDone bool
	exactErr  error

	// files is the files of a 2xx body as the rules about links read them, read once, by
	// linkFiles (rule_links.go); filesPresent says the body has a files array, not empty.
	files        []linkFile
	filesPresent bool
	filesDone    bool
}

// newExchange prepares ex (the caller's copy, which it may change) for validation. Header
// names are made canonical (http.CanonicalHeaderKey), since the checks look headers up with
// http.Header.Get: a library caller may pass maps built by hand or decoded from a file, with
// "content-type" or "DATE". A canonical copy is made, merging the values of names that differ
// only in case, only when some name is not canonical; the caller's maps are never changed.
func newExchange(ex *Exchange) *exchange {
	canonical := func(h http.Header) http.Header {
		for k := range h {
			if http.CanonicalHeaderKey(k) == k {
				continue
			}
			keys := make([]string, 0, len(h))
			for k := range h {
				keys = append(keys, k)
			}
			sort.Strings(keys) // a deterministic order for merged values
			out := make(http.Header, len(h))
			for _, k := range keys {
				ck := http.CanonicalHeaderKey(k)
				out[ck] = append(out[ck], h[k]...)
			}
			return out
		}
		return h
	}
	ex.RequestHeader = canonical(ex.RequestHeader)
	ex.Header = canonical(ex.Header)
	x := &exchange{ex: ex}
	u, err := url.Parse(ex.URL)
	if err != nil {
		x.reqErr = err
		return x
	}
	method := ex.Method
	if method == "" {
		method = http.MethodGet
	}
	h := ex.RequestHeader
	if h == nil {
		h = http.Header{}
	}
	req := &http.Request{
		Method:     method,
		URL:        u,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Host:       u.Host,
		RequestURI: u.RequestURI(),
		Body:       http.NoBody,
	}
	x.req = req.WithContext(context.WithValue(bg, exchangeKey{}, x))
	return x
}

// exchangeKey is the request-context key under which an exchange travels through
// libopenapi-validator to sharingJSONDecoder.
type exchangeKey struct{}

// sharingJSONDecoder is libopenapi-validator's own JSON body decoder, which also hands the
// value it decodes to the exchange being validated, so that the rules do not decode the body
// a second time. libopenapi-validator copies the value (content.Canonicalize) before it
// validates it, and the rules only read it.
type sharingJSONDecoder struct{ content.Decoder }

func (d sharingJSONDecoder) Decode(in *content.DecodeInput) (any, error) {
	v, err := d.Decoder.Decode(in)
	if in != nil && in.Context != nil {
		if x, ok := in.Context.Value(exchangeKey{}).(*exchange); ok && !x.treeDone && err == nil && v != nil {
			x.tree, x.treeDone = v, true
		}
	}
	return v, err
}

// decoded returns the body decoded as JSON, decoding it on first use, and whether it is
// one JSON value.
func (x *exchange) decoded() (any, bool) {
	if !x.treeDone {
		x.treeDone = true
		x.tree, x.treeErr = decodeJSON(x.ex.Body, false)
	}
	return x.tree, x.treeErr == nil
}

// exactly returns the body decoded with numbers as received (json.Number).
func (x *exchange) exactly() (any, bool) {
	if !x.exactDone {
		x.exactDone = true
		x.exact, x.exactErr = decodeJSON(x.ex.Body, true)
	}
	return x.exact, x.exactErr == nil
}

// decodeJSON decodes exactly one JSON value.
func decodeJSON(b []byte, useNumber bool) (any, error) {
	if len(b) == 0 {
		return nil, io.EOF
	}
	d := json.NewDecoder(bytes.NewReader(b))
	if useNumber {
		d.UseNumber()
	}
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// finding is what one engine reported, before merging.
type finding struct {
	check, where string
	got, want    string
	msg          string
}

// addFinding appends f unless the engine already reported the same (check, where).
func addFinding(fs []finding, f finding) []finding {
	for i := range fs {
		if fs[i].check == f.check && fs[i].where == f.where {
			return fs
		}
	}
	return append(fs, f)
}

// merged is one (check, where) with who reported it.
type merged struct {
	v              Violation
	kin, lib, rule bool
}

// merge combines the engines' findings and the rules' violations: one Violation per
// (check, where), attributed to everyone who reported it. When both engines ran
// (compare), a finding of only one of them adds an engine_disagreement Note.
func merge(kin, lib []finding, rules []Violation, compare bool) []Violation {
	if len(kin) == 0 && len(lib) == 0 && len(rules) == 0 {
		return nil
	}
	ms := make([]merged, 0, len(kin)+len(lib)+len(rules))
	find := func(check, where string) *merged {
		for i := range ms {
			if ms[i].v.Check == check && ms[i].v.Where == where {
				return &ms[i]
			}
		}
		ms = append(ms, merged{v: Violation{Check: check, Where: where, Severity: Failure}})
		return &ms[len(ms)-1]
	}
	fill := func(m *merged, got, want, msg string) {
		if m.v.Got == "" {
			m.v.Got = got
		}
		if m.v.Want == "" {
			m.v.Want = want
		}
		if m.v.Message == "" {
			m.v.Message = msg
		}
	}
	for _, r := range rules { // rules first: their messages are the most specific
		m := find(r.Check, r.Where)
		m.rule = true
		m.v.Severity = r.Severity
		fill(m, r.Got, r.Want, r.Message)
	}
	for _, f := range kin {
		m := find(f.check, f.where)
		m.kin = true
		fill(m, f.got, f.want, f.msg)
	}
	for _, f := range lib {
		m := find(f.check, f.where)
		m.lib = true
		fill(m, f.got, f.want, f.msg)
	}
	out := make([]Violation, 0, len(ms)+1)
	for i := range ms {
		m := &ms[i]
		m.v.Engine = engineName(m.kin, m.lib, m.rule)
		out = append(out, m.v)
		if compare && m.kin != m.lib {
			found, missed := EngineKin, EngineLib
			if m.lib {
				found, missed = EngineLib, EngineKin
			}
			out = append(out, Violation{
				Check:    CheckEngineDisagreement,
				Severity: Note,
				Where:    m.v.Where,
				Got:      m.v.Check + " reported by " + found + " only",
				Want:     "the same verdict from " + EngineKin + " and " + EngineLib,
				Engine:   found,
				Message:  found + " reported " + m.v.Check + " here and " + missed + " did not: " + m.v.Message,
			})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		ci, cj := checkOrder[out[i].Check], checkOrder[out[j].Check]
		if ci != cj {
			return ci < cj
		}
		return lessPlace(out[i].Where, out[j].Where)
	})
	return out
}

// lessPlace orders places: JSON pointers segment by segment, numbers numerically, so that
// /files/2 comes before /files/10.
// Places that are not JSON pointers ("body", "status", headers) come first.
func lessPlace(a, b string) bool {
	pa, pb := strings.HasPrefix(a, "/"), strings.HasPrefix(b, "/")
	if pa != pb {
		return pb
	}
	if !pa {
		return a < b
	}
	for a != "" && b != "" {
		sa, ra, _ := strings.Cut(strings.TrimPrefix(a, "/"), "/")
		sb, rb, _ := strings.Cut(strings.TrimPrefix(b, "/"), "/")
		if sa != sb {
			na, ea := strconv.Atoi(sa)
			nb, eb := strconv.Atoi(sb)
			if ea == nil && eb == nil {
				return na < nb
			}
			return sa < sb
		}
		a, b = ra, rb
	}
	return a == "" && b != ""
}

// context for the engines (they do no I/O).
var bg = context.Background()
