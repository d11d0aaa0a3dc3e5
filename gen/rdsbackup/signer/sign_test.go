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

func TestSignPublishedVectors(t *testing.T) {
	t.Parallel()
	sdkDate := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)
	tests := []struct {
		name, method, url, body string
		headers                 map[string]string
		want                    string
	}{
		{
			name: "GET limit=1", method: http.MethodGet,
			url:  "https://example.huaweicloud.com/path?limit=1",
			want: "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624",
		},
		{
			// The SDK's own test adds an underscore header, which is not signed.
			name: "GET with underscore header", method: http.MethodGet,
			url:     "https://example.huaweicloud.com/path?limit=1",
			headers: map[string]string{"TEST_UNDERSCORE": "TEST_VALUE"},
			want:    "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624",
		},
		{
			// The SDK's second vector: JSON body (json.Encoder adds "\n"), Content-Type not signed.
			name: "POST JSON body", method: http.MethodPost,
			url:     "https://example.huaweicloud.com/path?key=value",
			body:    `{"Name":"test","Id":1}` + "\n",
			headers: map[string]string{"TEST_UNDERSCORE": "TEST_VALUE", "Content-Type": "application/json"},
			want:    "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req := newReq(t, tc.method, tc.url, body)
			for k, v := range tc.headers {
				req.Header[k] = []string{v} // as given, like the SDK's header map
			}
			s := &signer.Signer{AccessKey: testAK, SecretKey: testSK, Now: fixedNow(sdkDate)}
			if err := s.Sign(req); err != nil {
				t.Fatal(err)
			}
			if got := req.Header.Get("Authorization"); got != tc.want {
				t.Errorf("Authorization\n got %s\nwant %s", got, tc.want)
			}
			if got := req.Header.Get("X-Sdk-Date"); got != "20060102T150405Z" {
				t.Errorf("X-Sdk-Date = %q", got)
			}
		})
	}
}

// TestCanonicalRequestLiteral spells out one canonical request in full, and
// pins its signature (computed independently with openssl dgst -hmac).
func TestCanonicalRequestLiteral(t *testing.T) {
	t.Parallel()
	req := newReq(t, http.MethodGet, testEndpoint+testFilesPath+"?backup_id="+testBackupID, nil)
	req.Header.Set("X-Language", "en-us")
	req.Header.Set("Content-Type", "application/json")
	s := &signer.Signer{AccessKey: testAK, SecretKey: testSK, ProjectID: testProject, Now: fixedNow(testTime)}
	if err := s.Sign(req); err != nil {
		t.Fatal(err)
	}
	const wantCanonical = "GET\n" +
		"/v3/97b026aa9cc4417888c14c84a1ad9860/backup-files/\n" +
		"backup_id=c0c9f155c7b7423a9d30f0175998b63bbr01\n" +
		"x-language:en-us\n" +
		"x-project-id:97b026aa9cc4417888c14c84a1ad9860\n" +
		"x-sdk-date:20240102T030405Z\n" +
		"\n" +
		"x-language;x-project-id;x-sdk-date\n" +
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	got, err := signer.CanonicalRequest(req, []string{"x-language", "x-project-id", "x-sdk-date"})
	if err != nil {
		t.Fatal(err)
	}
	if got != wantCanonical {
		t.Errorf("canonical request\n got %q\nwant %q", got, wantCanonical)
	}
	const wantAuth = "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-language;x-project-id;x-sdk-date, " +
		"Signature=e9f125713d1769590426c1c4a6fa95dc138f137818de10828ea4a96a0b2f8088"
	if got := req.Header.Get("Authorization"); got != wantAuth {
		t.Errorf("Authorization\n got %s\nwant %s", got, wantAuth)
	}
}

// signHeaderCase is a case of TestSignHeaders: base (with the test AK/SK and,
// when Now is nil, testTime) signs a request carrying the headers before.
type signHeaderCase struct {
	name   string
	before http.Header
	base   signer.Signer
	check  func(t *testing.T, h http.Header)
}

var signHeaderCases = []signHeaderCase{
	{
		name:   "previous Authorization and X-Sdk-Date are replaced",
		before: http.Header{"Authorization": {"old"}, "authorization": {"older"}, "x-sdk-date": {"19990101T000000Z"}},
		check: func(t *testing.T, h http.Header) {
			if len(h["Authorization"]) != 1 || h["authorization"] != nil || h["x-sdk-date"] != nil {
				t.Errorf("stale headers left: %v", h)
			}
			if !strings.HasPrefix(h.Get("Authorization"), "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=") {
				t.Errorf("Authorization = %q", h.Get("Authorization"))
			}
			if h.Get("X-Sdk-Date") != "20240102T030405Z" {
				t.Errorf("X-Sdk-Date = %q", h.Get("X-Sdk-Date"))
			}
		},
	},
	{
		name:   "X-Project-Id of the request wins",
		before: http.Header{"X-Project-Id": {"other"}},
		base:   signer.Signer{ProjectID: testProject},
		check: func(t *testing.T, h http.Header) {
			if got := h.Values("X-Project-Id"); len(got) != 1 || got[0] != "other" {
				t.Errorf("X-Project-Id = %q", got)
			}
		},
	},
	{
		name: "project and security token are set and signed",
		base: signer.Signer{ProjectID: testProject, SecurityToken: "tok"},
		check: func(t *testing.T, h http.Header) {
			if h.Get("X-Project-Id") != testProject || h.Get("X-Security-Token") != "tok" {
				t.Errorf("headers = %v", h)
			}
			if !strings.Contains(h.Get("Authorization"), "SignedHeaders=x-project-id;x-sdk-date;x-security-token,") {
				t.Errorf("Authorization = %q", h.Get("Authorization"))
			}
		},
	},
	{
		name: "UTC date from a non-UTC clock",
		base: signer.Signer{Now: fixedNow(testTime.In(time.FixedZone("UTC+8", 8*3600)))},
		check: func(t *testing.T, h http.Header) {
			if h.Get("X-Sdk-Date") != "20240102T030405Z" {
				t.Errorf("X-Sdk-Date = %q", h.Get("X-Sdk-Date"))
			}
		},
	},
}

func TestSignHeaders(t *testing.T) {
	t.Parallel()
	for _, tc := range signHeaderCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := newReq(t, http.MethodGet, testEndpoint+testFilesPath, nil)
			for k, v := range tc.before {
				req.Header[k] = v
			}
			s := tc.base
			s.AccessKey, s.SecretKey = testAK, testSK
			if s.Now == nil {
				s.Now = fixedNow(testTime)
			}
			if err := s.Sign(req); err != nil {
				t.Fatal(err)
			}
			tc.check(t, req.Header)
			if err := signer.Verify(req, secrets, testTime, 0); err != nil {
				t.Errorf("Verify: %v", err)
			}
		})
	}
}

func TestSignRefusesMissingCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    *signer.Signer
	}{
		{"nil signer", nil},
		{"empty", &signer.Signer{}},
		{"no access key", &signer.Signer{SecretKey: testSK}},
		{"no secret key", &signer.Signer{AccessKey: testAK}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := newReq(t, http.MethodGet, testEndpoint+testFilesPath, nil)
			err := tc.s.Sign(req)
			if !errors.Is(err, signer.ErrMissingCredentials) {
				t.Fatalf("Sign = %v, want ErrMissingCredentials", err)
			}
			if len(req.Header) != 0 {
				t.Errorf("request changed: %v", req.Header)
			}
		})
	}
	if err := (&signer.Signer{AccessKey: testAK, SecretKey: testSK}).Sign(nil); err == nil {
		t.Error("Sign(nil) succeeded")
	}
}

// TestContentSha256Header: with X-Sdk-Content-Sha256 present, its value stands for the body
// hash (the reference signer's getContentHash), in signing and in verifying.
func TestContentSha256Header(t *testing.T) {
	t.Parallel()
	req, _ := http.NewRequest(http.MethodPut, "https://example.huaweicloud.com/v3/p/upload", strings.NewReader("binary"))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(signer.HeaderContentSha256, "UNSIGNED-PAYLOAD")
	req.Header.Set("X-Sdk-Date", "20060102T150405Z")
	canon, err := signer.CanonicalRequest(req, []string{"x-sdk-content-sha256", "x-sdk-date"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(canon, "\nUNSIGNED-PAYLOAD") {
		t.Fatalf("canonical request does not end with the header's value:\n%s", canon)
	}
	s := &signer.Signer{AccessKey: "AK", SecretKey: "SK", Now: func() time.Time { return time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC) }}
	if err := s.Sign(req); err != nil {
		t.Fatal(err)
	}
	err = signer.Verify(req, func(string) (string, bool) { return "SK", true }, time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC), 0)
	if err != nil {
		t.Fatal(err)
	}
}
