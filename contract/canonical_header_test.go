package contract

import (
	"net/http"
	"testing"
)

// Library callers may pass header maps that are not canonical (built by hand, or decoded from
// a file): the checks must find the headers all the same, and the caller's maps must not
// change.
func TestNonCanonicalHeaderNames(t *testing.T) {
	v := testValidator(t)
	lower := func(date string) Exchange {
		ex := okExchange(t)
		ex.RequestHeader = http.Header{"x-auth-token": {"MIItoken"}}
		ex.Header = http.Header{
			"content-type": {"application/json;charset=UTF-8"},
			"x-request-id": {"7c5b8a3f0e2d4c1b9a8f7e6d5c4b3a29"},
			"DATE":         {date},
		}
		return ex
	}

	ex := lower(testDate)
	for _, validate := range []func(Exchange) []Violation{v.Validate, v.ValidateKin, v.ValidateLib} {
		if fs := Failures(validate(ex)); len(fs) != 0 {
			t.Errorf("lowercase header names: %s", dump(fs))
		}
	}
	if vs := v.Validate(ex); len(vs) != 0 {
		t.Errorf("lowercase header names: want no finding at all (X-Request-Id is there): %s", dump(vs))
	}
	if _, ok := ex.Header["content-type"]; !ok || len(ex.Header) != 3 {
		t.Errorf("the caller's map was changed: %v", ex.Header)
	}
	if _, ok := ex.RequestHeader["X-Auth-Token"]; ok {
		t.Errorf("the caller's request map was changed: %v", ex.RequestHeader)
	}

	// a lowercase date after the links' expiry trips link_not_expired
	tripped := false
	for _, f := range Failures(v.Validate(lower("Thu, 01 Jan 2026 00:05:00 GMT"))) {
		tripped = tripped || f.Check == CheckLinkNotExpired
	}
	if !tripped {
		t.Error("a lowercase DATE after the links' expiry does not trip link_not_expired")
	}

	// names that collide once canonical are merged: a second, HTML media type is seen
	ex = lower(testDate)
	ex.Header["Content-Type"] = []string{"text/html"}
	x := newExchange(&ex)
	if got := x.ex.Header.Values("Content-Type"); len(got) != 2 || got[0] != "text/html" {
		t.Errorf("merged Content-Type = %q, want both values, Content-Type's first", got)
	}
	if _, ok := x.ex.Header["content-type"]; ok {
		t.Error("a non-canonical name survived")
	}
}

// The fast path: canonical maps are used as they are, not copied.
func TestCanonicalHeadersAreNotCopied(t *testing.T) {
	ex := okExchange(t)
	h, rh := ex.Header, ex.RequestHeader
	x := newExchange(&ex)
	h["X-Probe"] = []string{"1"}
	rh["X-Probe"] = []string{"1"}
	if x.ex.Header.Get("X-Probe") != "1" || x.req.Header.Get("X-Probe") != "1" {
		t.Error("canonical header maps were copied")
	}
}
