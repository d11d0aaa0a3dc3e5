package signer_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

// replaceAuth returns a mutation replacing the first old by new in the
// Authorization header.
func replaceAuth(old, new string) func(*http.Request) {
	return func(r *http.Request) {
		r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
	}
}

// verifyCase is a case of TestVerify: a request signed at testTime (with
// X-Language, Content-Type and X-Project-Id), maybe sent through the wire,
// then mutated, is verified with secretFor (secrets when nil, except for the
// case "nil secretFor") at now (testTime when zero).
type verifyCase struct {
	name      string
	mutate    func(*http.Request)
	secretFor func(string) (string, bool)
	now       time.Time
	maxSkew   time.Duration
	viaWire   bool // parse the request from its wire form first
	want      signer.SignatureFailure
	ok        bool
}

var verifyCases = []verifyCase{
	{name: "as signed", ok: true},
	{name: "as signed, through the wire", viaWire: true, ok: true},
	{name: "14 minutes later", now: testTime.Add(14 * time.Minute), ok: true},
	{name: "16 minutes later", now: testTime.Add(16 * time.Minute), want: signer.SigStaleDate},
	{name: "16 minutes earlier (date in the future)", now: testTime.Add(-16 * time.Minute), want: signer.SigStaleDate},
	{name: "custom skew", now: testTime.Add(2 * time.Minute), maxSkew: time.Minute, want: signer.SigStaleDate},
	{name: "tampered query value", mutate: func(r *http.Request) { r.URL.RawQuery = "backup_id=" + testBackupID + "x" }, want: signer.SigMismatch},
	{name: "added query value", mutate: func(r *http.Request) { r.URL.RawQuery += "&limit=1" }, want: signer.SigMismatch},
	{name: "tampered path", mutate: func(r *http.Request) { r.URL.Path = "/v3/" + testProject + "/backups" }, want: signer.SigMismatch},
	{name: "tampered method", mutate: func(r *http.Request) { r.Method = http.MethodDelete }, want: signer.SigMismatch},
	{name: "tampered signed header", mutate: func(r *http.Request) { r.Header.Set("X-Language", "zh-cn") }, want: signer.SigMismatch},
	{name: "unsigned header may change", mutate: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, ok: true},
	{name: "wrong secret", secretFor: func(string) (string, bool) { return "OtherSecret", true }, want: signer.SigMismatch},
	{name: "unknown access key", secretFor: func(string) (string, bool) { return "", false }, want: signer.SigUnknownKey},
	{name: "nil secretFor", secretFor: nil, mutate: func(*http.Request) {}, want: signer.SigUnknownKey},
	{name: "signed header removed", mutate: func(r *http.Request) { r.Header.Del("X-Language") }, want: signer.SigMissingHeader},
	{name: "X-Sdk-Date removed", mutate: func(r *http.Request) { r.Header.Del("X-Sdk-Date") }, want: signer.SigMissingHeader},
	{name: "x-sdk-date not signed", mutate: replaceAuth("SignedHeaders=x-language;x-project-id;x-sdk-date", "SignedHeaders=x-language;x-project-id"), want: signer.SigMissingHeader},
	{name: "missing Authorization", mutate: func(r *http.Request) { r.Header.Del("Authorization") }, want: signer.SigMissing},
	{name: "empty Authorization", mutate: func(r *http.Request) { r.Header.Set("Authorization", "") }, want: signer.SigMissing},
	{name: "wrong algorithm", mutate: replaceAuth("SDK-HMAC-SHA256", "SDK-HMAC-SHA512"), want: signer.SigMalformed},
	{name: "other scheme", mutate: func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }, want: signer.SigMalformed},
	{name: "no Signature part", mutate: func(r *http.Request) {
		a, _, _ := strings.Cut(r.Header.Get("Authorization"), ", Signature=")
		r.Header.Set("Authorization", a)
	}, want: signer.SigMalformed},
	{name: "no Access part", mutate: replaceAuth("Access=AccessKey, ", ""), want: signer.SigMalformed},
	{name: "empty Access", mutate: replaceAuth("Access=AccessKey", "Access="), want: signer.SigMalformed},
	{name: "no SignedHeaders part", mutate: replaceAuth("SignedHeaders=x-language;x-project-id;x-sdk-date, ", ""), want: signer.SigMalformed},
	{name: "repeated part", mutate: replaceAuth("Access=AccessKey", "Access=AccessKey, Access=AccessKey"), want: signer.SigMalformed},
	{name: "unknown part", mutate: replaceAuth("Access=AccessKey", "Access=AccessKey, Foo=bar"), want: signer.SigMalformed},
	{name: "part without =", mutate: replaceAuth("Access=AccessKey", "Access=AccessKey, junk"), want: signer.SigMalformed},
	{name: "short signature", mutate: func(r *http.Request) {
		r.Header.Set("Authorization", r.Header.Get("Authorization")[:len(r.Header.Get("Authorization"))-2])
	}, want: signer.SigMalformed},
	{name: "non-hex signature", mutate: func(r *http.Request) {
		a := r.Header.Get("Authorization")
		r.Header.Set("Authorization", a[:len(a)-1]+"g")
	}, want: signer.SigMalformed},
	{name: "upper-case signature is the same signature", mutate: func(r *http.Request) {
		a, sig, _ := strings.Cut(r.Header.Get("Authorization"), "Signature=")
		r.Header.Set("Authorization", a+"Signature="+strings.ToUpper(sig))
	}, ok: true},
	{name: "upper-case SignedHeaders", mutate: replaceAuth("x-language", "X-Language"), want: signer.SigMalformed},
	{name: "empty name in SignedHeaders", mutate: replaceAuth("x-language;", ";x-language;"), want: signer.SigMalformed},
	{name: "two Authorization headers", mutate: func(r *http.Request) { r.Header.Add("Authorization", "x") }, want: signer.SigMalformed},
	{name: "unparsable X-Sdk-Date", mutate: func(r *http.Request) { r.Header.Set("X-Sdk-Date", "yesterday") }, want: signer.SigMalformed},
	{name: "X-Sdk-Date with fraction", mutate: func(r *http.Request) { r.Header.Set("X-Sdk-Date", "20240102T030405.5Z") }, want: signer.SigMalformed},
	{name: "signature of another date", mutate: func(r *http.Request) { r.Header.Set("X-Sdk-Date", "20240102T030406Z") }, want: signer.SigMismatch},
}

func TestVerify(t *testing.T) {
	t.Parallel()
	for _, tc := range verifyCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := newReq(t, http.MethodGet, testEndpoint+testFilesPath+"?backup_id="+testBackupID, nil)
			req.Header.Set("X-Language", "en-us")
			req.Header.Set("Content-Type", "application/json")
			s := &signer.Signer{AccessKey: testAK, SecretKey: testSK, ProjectID: testProject, Now: fixedNow(testTime)}
			if err := s.Sign(req); err != nil {
				t.Fatal(err)
			}
			if tc.viaWire {
				req = wire(t, req)
			}
			if tc.mutate != nil {
				tc.mutate(req)
			}
			secretFor := secrets
			if tc.secretFor != nil || tc.name == "nil secretFor" {
				secretFor = tc.secretFor
			}
			now := tc.now
			if now.IsZero() {
				now = testTime
			}
			err := signer.Verify(req, secretFor, now, tc.maxSkew)
			if tc.ok {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			var se *signer.SignatureError
			if !errors.As(err, &se) {
				t.Fatalf("Verify = %v (%T), want *SignatureError", err, err)
			}
			if se.Reason != tc.want {
				t.Errorf("Reason = %q, want %q (%v)", se.Reason, tc.want, err)
			}
			msg := err.Error()
			if strings.Contains(msg, testSK) || strings.Contains(msg, "OtherSecret") || hex64.MatchString(msg) {
				t.Errorf("error text leaks a secret or a signature: %q", msg)
			}
		})
	}
}

// TestVerifyHostHeader: a signer that signs "host" (the SDK does when the
// header map has one) is verified against req.Host, else req.URL.Host.
func TestVerifyHostHeader(t *testing.T) {
	t.Parallel()
	const date = "20240102T030405Z"
	tests := []struct {
		name       string
		signedHost string
		reqHost    string // req.Host at verification; "" leaves only req.URL.Host
		want       signer.SignatureFailure
	}{
		{name: "req.Host", signedHost: "rds.example.com", reqHost: "rds.example.com"},
		{name: "falls back to URL host", signedHost: "rds.example.com:8443"},
		{name: "other host", signedHost: "rds.example.com", reqHost: "evil.example.com", want: signer.SigMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := newReq(t, http.MethodGet, "https://rds.example.com:8443/v3/p/backup-files?backup_id=1", nil)
			req.Host = tc.signedHost
			req.Header.Set("X-Sdk-Date", date)
			names := []string{"host", "x-sdk-date"}
			req.Header.Set("Authorization", refAuthorization(testAK, testSK, date, refCanonicalRequest(req, names, nil), names))
			req.Host = tc.reqHost
			err := signer.Verify(req, secrets, testTime, 0)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Verify = %v", err)
				}
				return
			}
			var se *signer.SignatureError
			if !errors.As(err, &se) || se.Reason != tc.want {
				t.Fatalf("Verify = %v, want %s", err, tc.want)
			}
		})
	}
}

// TestVerifyBodyThroughWire signs a real client request and verifies it as a
// server parses it from the wire (body included).
func TestVerifyBodyThroughWire(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		tamper     bool
		want       signer.SignatureFailure
	}{
		{name: "body", body: `{"backup_id":"x"}`},
		{name: "tampered body", body: `{"backup_id":"x"}`, tamper: true, want: signer.SigMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := newReq(t, http.MethodPost, testEndpoint+"/v3/p/x", strings.NewReader(tc.body))
			if err := (&signer.Signer{AccessKey: testAK, SecretKey: testSK, Now: fixedNow(testTime)}).Sign(req); err != nil {
				t.Fatal(err)
			}
			srv := wire(t, req)
			if tc.tamper {
				srv.Body = io.NopCloser(strings.NewReader(tc.body + " "))
			}
			err := signer.Verify(srv, secrets, testTime, 0)
			if tc.want == "" && err != nil {
				t.Fatalf("Verify = %v", err)
			}
			var se *signer.SignatureError
			if tc.want != "" && (!errors.As(err, &se) || se.Reason != tc.want) {
				t.Fatalf("Verify = %v, want %s", err, tc.want)
			}
			if b, _ := io.ReadAll(srv.Body); tc.want == "" && string(b) != tc.body {
				t.Errorf("body after Verify = %q", b)
			}
		})
	}
}
