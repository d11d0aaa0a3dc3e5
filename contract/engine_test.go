package contract

import (
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// engineCase is one crafted exchange and what Validate must say about it.
type engineCase struct {
	name string
	ex   Exchange
	// want maps each check that must be reported as a Failure to the place it must be
	// reported at ("" = anywhere).
	want map[string]string
	// engine maps a check of want to the exact Engine expected.
	engine map[string]string
	// notWant lists checks that must not be reported at all.
	notWant []string
}

func engineCases(t testing.TB) []engineCase {
	raw := func(status int, ct, body string) Exchange {
		ex := okExchange(t)
		ex.StatusCode = status
		if ct == "" {
			ex.Header.Del("Content-Type")
		} else {
			ex.Header.Set("Content-Type", ct)
		}
		ex.Body = []byte(body)
		return ex
	}
	withHeader := func(ex Exchange, k, v string) Exchange {
		if v == "" {
			ex.Header.Del(k)
		} else {
			ex.Header.Set(k, v)
		}
		return ex
	}
	setTime := func(v string) func(b map[string]any) {
		return func(b map[string]any) { file0(b)["link_expired_time"] = v }
	}
	okJSON := string(okExchange(t).Body)
	const link = `"https://a.example/b?AccessKeyId=` + secretAK + `&Signature=` + secretSignature + `"`

	return []engineCase{
		{
			name: "missing required field", ex: withBody(t, func(b map[string]any) { delete(file0(b), "size") }),
			want: map[string]string{CheckSchema: "/files/0/size"}, engine: map[string]string{CheckSchema: EngineBoth},
			notWant: []string{CheckEngineDisagreement},
		},
		{
			name: "missing bucket and several file fields",
			ex: withBody(t, func(b map[string]any) {
				delete(b, "bucket")
				delete(file0(b), "name")
				delete(file0(b), "download_link")
			}),
			want:    map[string]string{CheckSchema: "/bucket"},
			notWant: []string{CheckEngineDisagreement},
		},
		{
			name: "size negative", ex: withBody(t, func(b map[string]any) { file0(b)["size"] = -1 }),
			want: map[string]string{CheckSchema: "/files/0/size"}, engine: map[string]string{CheckSchema: EngineBoth},
		},
		{
			name: "size as a string", ex: withBody(t, func(b map[string]any) { file0(b)["size"] = "12" }),
			want: map[string]string{CheckSchema: "/files/0/size"}, engine: map[string]string{CheckSchema: EngineBoth},
		},
		{
			name: "size not an integer", ex: withBody(t, func(b map[string]any) { file0(b)["size"] = 1.5 }),
			want: map[string]string{CheckSchema: "/files/0/size"},
		},
		{
			name: "size beyond int64", ex: withBody(t, func(b map[string]any) { file0(b)["size"] = 1e20 }),
			want: map[string]string{CheckSchema: "/files/0/size"}, engine: map[string]string{CheckSchema: EngineBoth},
		},
		{
			name: "empty name", ex: withBody(t, func(b map[string]any) { file0(b)["name"] = "" }),
			want: map[string]string{CheckSchema: "/files/0/name"},
		},
		{
			name: "files null", ex: withBody(t, func(b map[string]any) { b["files"] = nil }),
			want: map[string]string{CheckSchema: "/files"},
		},
		{
			name: "ftp link",
			ex: withBody(t, func(b map[string]any) {
				file0(b)["download_link"] = "ftp://obs.example.com/x?AccessKeyId=" + secretAK + "&Signature=" + secretSignature
			}),
			want:    map[string]string{CheckLinkHTTPS: "/files/0/download_link"},
			engine:  map[string]string{CheckLinkHTTPS: EngineRules},
			notWant: []string{CheckSchema}, // ftp://… is a valid URI: only the rule objects
		},
		{
			name: "relative link (also not a uri)",
			ex:   withBody(t, func(b map[string]any) { file0(b)["download_link"] = "obs.example.com/x?Signature=" + secretSignature }),
			want: map[string]string{CheckLinkHTTPS: "/files/0/download_link", CheckSchema: "/files/0/download_link"},
		},
		{
			name: "https link without host",
			ex:   withBody(t, func(b map[string]any) { file0(b)["download_link"] = "https:///x?Signature=" + secretSignature }),
			want: map[string]string{CheckLinkHTTPS: "/files/0/download_link"},
		},
		{
			name:    "documentation's malformed day",
			ex:      withBody(t, setTime("2018-08-016T10:15:14+0800")),
			want:    map[string]string{CheckTimestampFormat: "/files/0/link_expired_time"},
			engine:  map[string]string{CheckTimestampFormat: EngineBoth + "+" + EngineRules},
			notWant: []string{CheckSchema, CheckEngineDisagreement},
		},
		{
			name:    "February 30",
			ex:      withBody(t, setTime("2018-02-30T10:00:00+0800")),
			want:    map[string]string{CheckTimestampFormat: "/files/0/link_expired_time"},
			engine:  map[string]string{CheckTimestampFormat: EngineBoth + "+" + EngineRules},
			notWant: []string{CheckSchema, CheckEngineDisagreement},
		},
		{
			name:    "RFC 3339 offset with colon",
			ex:      withBody(t, setTime("2026-01-01T08:00:00+08:00")),
			want:    map[string]string{CheckTimestampFormat: "/files/0/link_expired_time"},
			engine:  map[string]string{CheckTimestampFormat: EngineBoth + "+" + EngineRules},
			notWant: []string{CheckSchema, CheckEngineDisagreement, CheckLinkNotExpired, CheckLinkExpiryConsistent},
		},
		{
			name:    "offset beyond 14 hours",
			ex:      withBody(t, setTime("2026-01-01T08:00:00+1500")),
			want:    map[string]string{CheckTimestampFormat: "/files/0/link_expired_time"},
			notWant: []string{CheckSchema},
		},
		{
			name:    "link_expired_time not a string",
			ex:      withBody(t, func(b map[string]any) { file0(b)["link_expired_time"] = 20260101 }),
			want:    map[string]string{CheckSchema: "/files/0/link_expired_time"},
			notWant: []string{CheckTimestampFormat},
		},
		{
			name:    "Date after expiry",
			ex:      withHeader(okExchange(t), "Date", "Thu, 01 Jan 2026 01:00:00 GMT"),
			want:    map[string]string{CheckLinkNotExpired: "/files/0/link_expired_time"},
			engine:  map[string]string{CheckLinkNotExpired: EngineRules},
			notWant: []string{CheckSchema, CheckLinkExpiryConsistent},
		},
		{
			name: "expiry 30 days after Date",
			ex: withBody(t, func(b map[string]any) {
				for _, f := range b["files"].([]any) {
					f := f.(map[string]any)
					f["link_expired_time"] = "2026-01-31T08:00:00+0800"
					f["download_link"] = strings.Replace(f["download_link"].(string), "Expires=1767225600", "Expires=1769817600", 1)
				}
			}),
			want:    map[string]string{CheckLinkNotExpired: "/files/2/link_expired_time"},
			notWant: []string{CheckLinkExpiryConsistent},
		},
		{
			name: "Expires two hours off",
			ex: withBody(t, func(b map[string]any) {
				f := file0(b)
				f["download_link"] = strings.Replace(f["download_link"].(string), "Expires=1767225600", "Expires=1767232800", 1)
			}),
			want:    map[string]string{CheckLinkExpiryConsistent: "/files/0/download_link"},
			notWant: []string{CheckLinkNotExpired, CheckSchema},
		},
		{
			name: "Expires not a number",
			ex: withBody(t, func(b map[string]any) {
				f := file0(b)
				f["download_link"] = strings.Replace(f["download_link"].(string), "Expires=1767225600", "Expires=soon", 1)
			}),
			want: map[string]string{CheckLinkExpiryConsistent: "/files/0/download_link"},
		},
		{
			name:   "undocumented status 418",
			ex:     func() Exchange { ex := okExchange(t); ex.StatusCode = 418; return ex }(),
			want:   map[string]string{CheckStatusCode: "status"},
			engine: map[string]string{CheckStatusCode: EngineBoth + "+" + EngineRules},
		},
		{
			name:    "text/html on 502",
			ex:      raw(502, "text/html", "<html><body>Bad Gateway</body></html>"),
			want:    map[string]string{CheckStatusCode: "status", CheckErrorBody: "body"},
			notWant: []string{CheckContentType}, // the body is not JSON: nothing to say about its media type
		},
		{
			name:   "text/html on 200",
			ex:     raw(200, "text/html", "<html><body>hello</body></html>"),
			want:   map[string]string{CheckContentType: "header:Content-Type"},
			engine: map[string]string{CheckContentType: EngineBoth + "+" + EngineRules},
			// the body is not checked against the schema when its media type is wrong
			notWant: []string{CheckSchema, CheckStatusCode},
		},
		{
			name: "JSON body labelled text/plain on 200", ex: raw(200, "text/plain", okJSON),
			want: map[string]string{CheckContentType: "header:Content-Type"},
		},
		{
			name: "no Content-Type", ex: raw(200, "", okJSON),
			want: map[string]string{CheckContentType: "header:Content-Type"},
		},
		{
			name: "JSON body labelled text/plain on 503", ex: raw(503, "text/plain", `{"error_code":"APIG.0201","error_msg":"busy"}`),
			want:    map[string]string{CheckContentType: "header:Content-Type", CheckStatusCode: "status"},
			notWant: []string{CheckErrorBody},
		},
		{
			name:    "error body without error_msg",
			ex:      raw(404, "application/json", `{"error_code":"DBS.201010"}`),
			want:    map[string]string{CheckErrorBody: "/error_msg", CheckSchema: "/error_msg"},
			notWant: []string{CheckStatusCode, CheckContentType},
		},
		{
			name: "error body with a numeric code", ex: raw(500, "application/json", `{"error_code":108000,"error_msg":"x"}`),
			want: map[string]string{CheckErrorBody: "/error_code", CheckSchema: "/error_code"},
		},
		{
			name: "error body not an object", ex: raw(400, "application/json", `["DBS.200001"]`),
			want: map[string]string{CheckErrorBody: "body", CheckSchema: "body"},
		},
		{
			name: "empty 500", ex: raw(500, "application/json", ""),
			want: map[string]string{CheckErrorBody: "body", CheckSchema: "body"},
		},
		{
			name: "truncated JSON", ex: func() Exchange { ex := okExchange(t); ex.Body = ex.Body[:len(ex.Body)/2]; return ex }(),
			want:   map[string]string{CheckSchema: "body"},
			engine: map[string]string{CheckSchema: EngineBoth},
		},
		{
			name: "truncated JSON with a JSON-escaped link",
			ex:   raw(200, "application/json", `{"files":[{"download_link":"https://a/b?AccessKeyId=`+secretAK+`\u0026Signature=`+secretSignature+`\u0026x=1`),
			want: map[string]string{CheckSchema: "body"},
		},
		{
			name: "empty 200", ex: raw(200, "application/json", ""),
			want: map[string]string{CheckSchema: "body"}, engine: map[string]string{CheckSchema: EngineBoth},
		},
		{
			name: "garbage items", ex: raw(200, "application/json", `{"bucket":"b","files":["x",null,3,{"download_link":`+link+`}]}`),
			want: map[string]string{CheckSchema: "/files/3/name"},
		},
		{
			name: "wrong path", ex: func() Exchange { ex := okExchange(t); ex.URL = "/v3/p/backups?backup_id=x"; return ex }(),
			want:   map[string]string{CheckRoute: "request"},
			engine: map[string]string{CheckRoute: EngineBoth},
		},
		{
			name: "wrong method", ex: func() Exchange { ex := okExchange(t); ex.Method = http.MethodDelete; return ex }(),
			want: map[string]string{CheckRoute: "request"},
		},
		{
			name: "unparsable URL", ex: func() Exchange { ex := okExchange(t); ex.URL = "http://[::1"; return ex }(),
			want: map[string]string{CheckRoute: "request"},
		},
		// Disagreements between the engines found while writing this package.
		{
			name:   "data after the JSON value (kin-openapi reads the first value only)",
			ex:     raw(200, "application/json", okJSON+` {"more":true}`),
			want:   map[string]string{CheckSchema: "body", CheckEngineDisagreement: ""},
			engine: map[string]string{CheckSchema: EngineLib},
		},
		{
			name:   "null body (libopenapi-validator accepts it)",
			ex:     raw(200, "application/json", "null"),
			want:   map[string]string{CheckSchema: "body", CheckEngineDisagreement: ""},
			engine: map[string]string{CheckSchema: EngineKin},
		},
		{
			name:   "blank body (libopenapi-validator accepts it)",
			ex:     raw(200, "application/json", "  \n"),
			want:   map[string]string{CheckSchema: "body", CheckEngineDisagreement: ""},
			engine: map[string]string{CheckSchema: EngineKin},
		},
		{
			name:    "304 (kin-openapi never validates it)",
			ex:      raw(304, "", ""),
			want:    map[string]string{CheckStatusCode: "status", CheckEngineDisagreement: ""},
			engine:  map[string]string{CheckStatusCode: EngineLib + "+" + EngineRules},
			notWant: []string{CheckErrorBody},
		},
		{
			name:   "size 2^63 (kin-openapi rounds it into int64)",
			ex:     raw(200, "application/json", `{"bucket":"b","files":[{"name":"n","size":9223372036854775808,"download_link":"https://a/b","link_expired_time":"2026-01-01T08:00:00+0800"}]}`),
			want:   map[string]string{CheckSchema: "/files/0/size", CheckEngineDisagreement: ""},
			engine: map[string]string{CheckSchema: EngineLib},
		},
	}
}

func TestValidateConforming(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	ex := okExchange(t)
	for name, vs := range map[string][]Violation{
		"Validate":    v.Validate(ex),
		"ValidateKin": v.ValidateKin(ex),
		"ValidateLib": v.ValidateLib(ex),
	} {
		if len(vs) != 0 {
			t.Errorf("%s: a conforming exchange gave violations:%s", name, dump(vs))
		}
	}
	// Relative URLs, a nil request header, a charset parameter, an empty method: all fine.
	ex.URL = "/v3/" + testProject + "/backup-files?backup_id=" + testBackup
	ex.RequestHeader = nil
	ex.Method = ""
	ex.Header.Set("Content-Type", "application/json; charset=utf-8")
	if vs := v.Validate(ex); len(vs) != 0 {
		t.Errorf("relative URL: %s", dump(vs))
	}
	// Every documented error status with a proper body.
	for _, status := range []int{400, 401, 403, 404, 429, 500} {
		ex := okExchange(t)
		ex.StatusCode = status
		ex.Body = []byte(`{"error_code":"DBS.200001","error_msg":"Invalid parameter.","request_id":"x"}`)
		if vs := v.Validate(ex); len(vs) != 0 {
			t.Errorf("status %d: %s", status, dump(vs))
		}
	}
	// Undeclared properties are legal (the provider adds fields over time): each is a warning
	// of check undocumented, with its pointer and JSON type, and nothing else.
	ex = withBody(t, func(b map[string]any) {
		b["next_marker"] = "x"
		b["storage_class"] = map[string]any{"tier": 1}
		file0(b)["md5"] = "abc"
		file0(b)["a/b~c"] = []any{1}
	})
	vs := v.Validate(ex)
	want := []string{"/files/0/a~1b~0c array", "/files/0/md5 string", "/next_marker string", "/storage_class object"}
	var got []string
	for _, x := range vs {
		if x.Check != CheckUndocumented || x.Severity != Warning {
			t.Errorf("undeclared properties: %s", dump(vs))
		}
		got = append(got, x.Where+" "+x.Got)
	}
	if !slices.Equal(got, want) {
		t.Errorf("undocumented findings %q, want %q", got, want)
	}
	strict, err := NewValidator(Options{Strict: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range strict.Validate(ex) {
		if x.Check != CheckUndocumented || x.Severity != Failure {
			t.Errorf("with Strict: %s", dump([]Violation{x}))
		}
	}
	// An error body's extra field (request_id is declared) is reported the same way.
	ex = okExchange(t)
	ex.StatusCode = 404
	ex.Body = []byte(`{"error_code":"DBS.201010","error_msg":"no","request_id":"r","hint":"x"}`)
	if vs := v.Validate(ex); len(vs) != 1 || vs[0].Where != "/hint" {
		t.Errorf("error body: %s", dump(vs))
	}
}

func TestValidateChecks(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	for _, tc := range engineCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			vs := v.Validate(tc.ex)
			t.Logf("violations:%s", dump(vs))
			for check, where := range tc.want {
				var found []Violation
				for _, x := range vs {
					if x.Check == check && (where == "" || x.Where == where) {
						found = append(found, x)
					}
				}
				if len(found) == 0 {
					t.Errorf("want %s at %q, not reported", check, where)
					continue
				}
				for _, x := range found {
					wantSev := Failure
					if check == CheckEngineDisagreement {
						wantSev = Note
					}
					if x.Severity != wantSev {
						t.Errorf("%s: severity %s, want %s", x, x.Severity, wantSev)
					}
				}
				if e, ok := tc.engine[check]; ok && found[0].Engine != e {
					t.Errorf("%s: engine %q, want %q", found[0], found[0].Engine, e)
				}
			}
			for _, check := range tc.notWant {
				for _, x := range vs {
					if x.Check == check {
						t.Errorf("unexpected %s", x)
					}
				}
			}
			assertWellFormed(t, vs)
		})
	}
}

// assertWellFormed checks what every Violation must satisfy: a known check, a place, a
// message, no secret anywhere, Got short, a Note for every one-engine finding, and order.
func assertWellFormed(t *testing.T, vs []Violation) {
	t.Helper()
	for i, x := range vs {
		if !slices.Contains(Checks, x.Check) {
			t.Errorf("unknown check %q in %s", x.Check, x)
		}
		if x.Where == "" || x.Message == "" || x.Engine == "" {
			t.Errorf("incomplete violation %#v", x)
		}
		if !strings.HasPrefix(x.Where, "/") && x.Where != "body" && x.Where != "status" &&
			x.Where != "request" && !strings.HasPrefix(x.Where, "header:") {
			t.Errorf("bad place %q in %s", x.Where, x)
		}
		if len(x.Got) > maxGot+len("…") {
			t.Errorf("Got too long (%d): %s", len(x.Got), x.Got)
		}
		rv := reflect.ValueOf(x)
		for f := 0; f < rv.NumField(); f++ {
			if s, ok := rv.Field(f).Interface().(string); ok {
				for _, secret := range []string{secretSignature, secretAK} {
					if strings.Contains(s, secret) {
						t.Errorf("secret leaked in %s: %q", rv.Type().Field(f).Name, s)
					}
				}
			}
		}
		if strings.Contains(x.String(), secretSignature) {
			t.Errorf("secret leaked in String(): %s", x)
		}
		if x.Check != CheckEngineDisagreement && (x.Engine == EngineKin || x.Engine == EngineLib ||
			strings.HasPrefix(x.Engine, EngineKin+"+") || strings.HasPrefix(x.Engine, EngineLib+"+")) {
			noted := false
			for _, n := range vs {
				noted = noted || (n.Check == CheckEngineDisagreement && n.Where == x.Where && n.Severity == Note)
			}
			if !noted {
				t.Errorf("one-engine finding without an engine_disagreement note: %s", x)
			}
		}
		if i > 0 && checkOrder[vs[i-1].Check] > checkOrder[x.Check] {
			t.Errorf("not ordered by check: %s before %s", vs[i-1], x)
		}
	}
}

func TestRequestIDIsAWarningOnly(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	ex := okExchange(t)
	ex.Header.Del("X-Request-Id")
	vs := v.Validate(ex)
	if len(vs) != 1 || vs[0].Check != CheckRequestID || vs[0].Severity != Warning || vs[0].Where != "header:X-Request-Id" {
		t.Fatalf("want one request_id warning, got:%s", dump(vs))
	}
	if f := Failures(vs); len(f) != 0 {
		t.Fatalf("Failures: %s", dump(f))
	}
}

func TestLinkNotExpiredReference(t *testing.T) {
	t.Parallel()
	expired := okExchange(t)
	expired.Header.Del("Date")
	// Without a Date header and without Options.Now the check is skipped.
	if vs := testValidator(t).Validate(expired); len(vs) != 0 {
		t.Fatalf("no Date: %s", dump(vs))
	}
	// Options.Now stands in for a missing Date.
	late := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	v, err := NewValidator(Options{Now: func() time.Time { return late }})
	if err != nil {
		t.Fatal(err)
	}
	if vs := Failures(v.Validate(expired)); len(vs) != 3 || vs[0].Check != CheckLinkNotExpired {
		t.Fatalf("Options.Now: want 3 link_not_expired, got:%s", dump(vs))
	}
	// An unparsable Date is a warning, and Options.Now is used instead.
	bad := okExchange(t)
	bad.Header.Set("Date", "yesterday")
	vs := v.Validate(bad)
	if len(Failures(vs)) != 3 || !slices.ContainsFunc(vs, func(x Violation) bool {
		return x.Where == "header:Date" && x.Severity == Warning
	}) {
		t.Fatalf("bad Date:%s", dump(vs))
	}
	// MaxLinkTTL: the links expire one hour after Date.
	for ttl, want := range map[time.Duration]int{2 * time.Hour: 0, time.Hour: 0, 30 * time.Minute: 3} {
		v, err := NewValidator(Options{MaxLinkTTL: ttl})
		if err != nil {
			t.Fatal(err)
		}
		if vs := Failures(v.Validate(okExchange(t))); len(vs) != want {
			t.Errorf("MaxLinkTTL %v: want %d failures, got:%s", ttl, want, dump(vs))
		}
	}
}

func TestOneEngineAlone(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	ex := withBody(t, setTimeAll("2018-08-016T10:15:14+0800"))
	for name, vs := range map[string][]Violation{EngineKin: v.ValidateKin(ex), EngineLib: v.ValidateLib(ex)} {
		if len(vs) != 3 {
			t.Errorf("%s: want 3 findings, got:%s", name, dump(vs))
		}
		for _, x := range vs {
			if x.Check != CheckTimestampFormat || x.Engine != name {
				t.Errorf("%s: %s", name, x)
			}
		}
	}
}

func setTimeAll(s string) func(b map[string]any) {
	return func(b map[string]any) {
		for _, f := range b["files"].([]any) {
			f.(map[string]any)["link_expired_time"] = s
		}
	}
}

// TestGarbageDoesNotPanic feeds bodies of every shape to every kind of status.
func TestGarbageDoesNotPanic(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	bodies := []string{
		"", " ", "null", "true", "0", `"x"`, "[]", "{}", "{", "}", "[[[[[[[[", `{"files":1}`,
		`{"files":[1,"a",null,[],{}]}`, `{"files":[{"download_link":5,"link_expired_time":[]}]}`,
		`{"files":[{"download_link":"::","link_expired_time":"x"}]}`,
		`{"files":[{"download_link":"https://h/p?Expires=&Expires=1","link_expired_time":"2026-01-01T08:00:00+0800"}]}`,
		`{"files":[{"download_link":"https://h/p?Expires=99999999999999999999","link_expired_time":"2026-01-01T08:00:00Z"}]}`,
		`{"error_code":{},"error_msg":[]}`, "\xff\xfe\x00", strings.Repeat("[", 10000),
		`{"files":[{"link_expired_time":"9999-12-31T23:59:59-1400"}]}`,
	}
	for _, status := range []int{0, 100, 200, 204, 301, 404, 500, 999} {
		for _, ct := range []string{"", "application/json", "text/html", ";;;"} {
			for _, b := range bodies {
				ex := Exchange{Method: "GET", URL: testURL, StatusCode: status, Header: http.Header{"Content-Type": {ct}}, Body: []byte(b)}
				vs := v.Validate(ex)
				if status == 200 && ct == "application/json" && len(Failures(vs)) == 0 && b != "" {
					t.Errorf("body %q passed", b)
				}
				assertWellFormed(t, vs)
			}
		}
	}
	// A zero Exchange.
	_ = v.Validate(Exchange{})
}

// FuzzValidate checks that no input panics (go test runs the seeds; go test -fuzz explores).
func FuzzValidate(f *testing.F) {
	f.Add(200, "application/json", string(okExchange(f).Body))
	f.Add(404, "application/json", `{"error_code":"DBS.201010","error_msg":"x"}`)
	f.Add(200, "text/html", "<html>")
	v := testValidator(f)
	f.Fuzz(func(t *testing.T, status int, ct, body string) {
		ex := okExchange(t)
		ex.StatusCode = status
		ex.Header.Set("Content-Type", ct)
		ex.Body = []byte(body)
		for _, x := range v.Validate(ex) {
			if x.Check == "" || x.Where == "" {
				t.Fatalf("incomplete: %#v", x)
			}
		}
	})
}

func TestViolationString(t *testing.T) {
	t.Parallel()
	x := Violation{Check: "schema", Where: "/files/0/size", Message: "number must be at least 0", Got: "-1", Want: ">= 0", Engine: EngineBoth}
	if got, want := x.String(), "schema @ /files/0/size: number must be at least 0 (got -1, want >= 0) [both]"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	x.Got = ""
	if got, want := x.String(), "schema @ /files/0/size: number must be at least 0 (want >= 0) [both]"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for s, want := range map[Severity]string{Failure: "failure", Warning: "warning", Note: "note", 7: "severity(7)"} {
		if s.String() != want {
			t.Errorf("%d.String() = %q", int(s), s.String())
		}
	}
	if !(Violation{Engine: "both+rules"}).FoundBy(EngineLib) || (Violation{Engine: EngineKin}).FoundBy(EngineLib) {
		t.Error("FoundBy")
	}
	vs := []Violation{{Severity: Note}, {Severity: Failure, Check: "a"}, {Severity: Warning}}
	if f := Failures(vs); len(f) != 1 || f[0].Check != "a" {
		t.Errorf("Failures = %v", f)
	}
}

func TestChecksAreUniqueAndAllUsed(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for _, c := range Checks {
		if seen[c] {
			t.Errorf("duplicate check %q", c)
		}
		seen[c] = true
	}
	used := map[string]bool{}
	v := testValidator(t)
	for _, tc := range engineCases(t) {
		for _, x := range v.Validate(tc.ex) {
			used[x.Check] = true
		}
	}
	ex := okExchange(t)
	ex.Header.Del("X-Request-Id")
	for _, x := range v.Validate(ex) {
		used[x.Check] = true
	}
	for _, x := range v.Validate(withBody(t, func(b map[string]any) { b["storage_class"] = "cold" })) {
		used[x.Check] = true
	}
	for _, c := range Checks {
		if !used[c] {
			t.Errorf("check %q is never reported by the test cases", c)
		}
	}
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"$.files[0].size":  "/files/0/size",
		"$":                "body",
		"":                 "body",
		"$.bucket":         "/bucket",
		"$['a.b'][2]":      "/a.b/2",
		"$.files[12].x":    "/files/12/x",
		"$['a/b'].c":       "/a~1b/c",
		"$.files[0]['~x']": "/files/0/~0x",
	} {
		if got := jsonPathToPointer(in); got != want {
			t.Errorf("jsonPathToPointer(%q) = %q, want %q", in, got, want)
		}
	}
	places := []string{"/files/10/size", "/files/2/size", "/bucket", "/files/2", "body"}
	slices.SortFunc(places, func(a, b string) int {
		if lessPlace(a, b) {
			return -1
		}
		if lessPlace(b, a) {
			return 1
		}
		return 0
	})
	if want := []string{"body", "/bucket", "/files/2", "/files/2/size", "/files/10/size"}; !slices.Equal(places, want) {
		t.Errorf("order: %v, want %v", places, want)
	}
	for in, want := range map[string]string{
		"ftp://h/p?Signature=abc&x=1":         "ftp://h/p?Signature=REDACTED&x=1",
		`"x?AccessKeyId=AK\u0026Signature=s"`: `"x?AccessKeyId=REDACTED\u0026Signature=REDACTED"`,
		"token=abc def":                       "token=REDACTED def",
		"no secrets = here":                   "no secrets = here",
		"https://u:p@h/p?sig=1":               "https://h/p?sig=REDACTED",
	} {
		if got := scrub(in); got != want {
			t.Errorf("scrub(%q) = %q, want %q", in, got, want)
		}
	}
	if got := short(strings.Repeat("é", 100), 11); got != "ééééé…" {
		t.Errorf("short = %q", got)
	}
}

// TestHTTPLinkSeverity: an http:// link fails link_https, except when the API itself was
// called over plain http and the link points back at that same host and port (a local fake
// serving its own objects): then it is a warning.
func TestHTTPLinkSeverity(t *testing.T) {
	t.Parallel()
	v := testValidator(t)
	tests := []struct {
		name, apiURL, link string
		want               Severity
	}{
		{"https endpoint, http link", testURL, "http://obs.example.com/x", Failure},
		{"http endpoint, http link on the endpoint", "http://127.0.0.1:8080/v3/p/backup-files?backup_id=b", "http://127.0.0.1:8080/obs/x", Warning},
		{"http endpoint, http link elsewhere", "http://127.0.0.1:8080/v3/p/backup-files?backup_id=b", "http://obs.example.com/x", Failure},
		{"http endpoint, http link on another port", "http://127.0.0.1:8080/v3/p/backup-files?backup_id=b", "http://127.0.0.1:9090/obs/x", Failure},
		{"http endpoint, ftp link", strings.Replace(testURL, "https://", "http://", 1), "ftp://127.0.0.1/obs/x", Failure},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ex := withBody(t, func(b map[string]any) { file0(b)["download_link"] = tc.link })
			ex.URL = tc.apiURL
			var got []Violation
			for _, vi := range v.Validate(ex) {
				if vi.Check == CheckLinkHTTPS {
					got = append(got, vi)
				}
			}
			if len(got) != 1 || got[0].Severity != tc.want {
				t.Fatalf("link_https violations %v, want one %v", got, tc.want)
			}
		})
	}
}
