package contract

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"

	"github.com/rdskit/rdsbackup/openapi"
)

// The benchmarks validate one typical conforming 200 exchange (three files).
//
//	go test ./contract/ -run xxx -bench . -benchmem -count=3
//
// Targets: Validate <= 1.25 x (KinOnly + LibOnly), best read from the "ratio" metric of
// BenchmarkValidateVsEngines, which interleaves the three on a busy machine; NewValidator
// < 20 ms; Validate10000 (10,000 exchanges per op) < 3 s.

// BenchmarkValidate runs both engines and the rules, and merges, as the suites do.
func BenchmarkValidate(b *testing.B) {
	v := testValidator(b)
	ex := okExchange(b)
	b.ReportAllocs()
	for b.Loop() {
		if vs := Failures(v.Validate(ex)); len(vs) != 0 {
			b.Fatal(dump(vs))
		}
	}
}

// BenchmarkKinOnly calls kin-openapi directly, the cheapest correct way: build the request,
// find the route, validate the response with options built once.
func BenchmarkKinOnly(b *testing.B) {
	v := testValidator(b)
	ex := okExchange(b)
	b.ReportAllocs()
	for b.Loop() {
		kinOnly(b, v, &ex)
	}
}

// BenchmarkLibOnly calls libopenapi-validator directly, the cheapest correct way: build the
// request and the response, ValidateHttpResponse.
func BenchmarkLibOnly(b *testing.B) {
	v := testValidator(b)
	ex := okExchange(b)
	libOnly(b, v, &ex) // build the validator outside the timing
	b.ReportAllocs()
	for b.Loop() {
		libOnly(b, v, &ex)
	}
}

// libOnlyValidator is a libopenapi-validator built the plain way (no sharing decoder), for
// BenchmarkLibOnly and BenchmarkValidateVsEngines.
var libOnlyValidator = sync.OnceValues(func() (validator.Validator, error) {
	doc, err := libopenapi.NewDocument(openapi.Spec())
	if err != nil {
		return nil, err
	}
	lv, errs := validator.NewValidator(doc,
		config.WithFormatAssertions(),
		config.WithCustomFormat(openapi.TimestampFormat, libTimestampFormat),
	)
	return lv, errors.Join(errs...)
})

func kinOnly(b *testing.B, v *Validator, ex *Exchange) {
	u, err := url.Parse(ex.URL)
	if err != nil {
		b.Fatal(err)
	}
	req := &http.Request{Method: ex.Method, URL: u, Header: ex.RequestHeader, Host: u.Host, Body: http.NoBody}
	route, params, err := v.kinRouter.FindRoute(req)
	if err != nil {
		b.Fatal(err)
	}
	err = openapi3filter.ValidateResponse(bg, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 ex.StatusCode,
		Header:                 ex.Header,
		Body:                   io.NopCloser(bytes.NewReader(ex.Body)),
		Options:                v.kinOpts,
	})
	if err != nil {
		b.Fatal(err)
	}
}

func libOnly(b *testing.B, _ *Validator, ex *Exchange) {
	lv, err := libOnlyValidator()
	if err != nil {
		b.Fatal(err)
	}
	u, err := url.Parse(ex.URL)
	if err != nil {
		b.Fatal(err)
	}
	req := &http.Request{Method: ex.Method, URL: u, Header: ex.RequestHeader, Host: u.Host, Body: http.NoBody}
	resp := &http.Response{StatusCode: ex.StatusCode, Header: ex.Header, Body: io.NopCloser(bytes.NewReader(ex.Body)), Request: req}
	if ok, errs := lv.ValidateHttpResponse(req, resp); !ok {
		b.Fatal(errs)
	}
}

// BenchmarkValidateVsEngines runs Validate, kin-openapi alone and libopenapi-validator alone
// in turn in the same loop, so that a busy machine slows the three alike, and reports
// validate/(kin+lib) as the metric "ratio" (target <= 1.25), with each part in ns.
func BenchmarkValidateVsEngines(b *testing.B) {
	v := testValidator(b)
	ex := okExchange(b)
	libOnly(b, v, &ex) // build the validator outside the timing
	var tv, tk, tl time.Duration
	for b.Loop() {
		t0 := time.Now()
		if vs := v.Validate(ex); len(vs) != 0 {
			b.Fatal(dump(vs))
		}
		t1 := time.Now()
		kinOnly(b, v, &ex)
		t2 := time.Now()
		libOnly(b, v, &ex)
		t3 := time.Now()
		tv, tk, tl = tv+t1.Sub(t0), tk+t2.Sub(t1), tl+t3.Sub(t2)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tv)/float64(tk+tl), "ratio")
	b.ReportMetric(float64(tv)/n, "validate-ns")
	b.ReportMetric(float64(tk)/n, "kin-ns")
	b.ReportMetric(float64(tl)/n, "lib-ns")
}

// BenchmarkJSONDecode is the baseline: decode the body with encoding/json.
func BenchmarkJSONDecode(b *testing.B) {
	ex := okExchange(b)
	b.ReportAllocs()
	for b.Loop() {
		var v any
		if err := json.Unmarshal(ex.Body, &v); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkNewValidator builds both engines from the embedded description.
func BenchmarkNewValidator(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewValidator(Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate10000 validates 10,000 exchanges per op (target: under 3 s per op).
func BenchmarkValidate10000(b *testing.B) {
	v := testValidator(b)
	ex := okExchange(b)
	b.ReportAllocs()
	for b.Loop() {
		for range 10000 {
			if vs := v.Validate(ex); len(vs) != 0 {
				b.Fatal(dump(vs))
			}
		}
	}
}

// BenchmarkOwnPart measures what Validate adds to the two engines: building the request
// once, the rules (on a body already decoded, as libopenapi-validator hands it over), and
// merging.
func BenchmarkOwnPart(b *testing.B) {
	v := testValidator(b)
	ex := okExchange(b)
	tree, err := decodeJSON(ex.Body, false)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		x := newExchange(&ex)
		x.tree, x.treeDone = tree, true
		if vs := merge(nil, nil, v.rules(x), true); len(vs) != 0 {
			b.Fatal(dump(vs))
		}
	}
}
