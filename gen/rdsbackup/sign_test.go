package rdsbackup

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// ---------------------------------------------------------------------------
// Reference implementation: deliberately simple and independent of sign.go
// (fmt, sort, strings, url.Values), written from the algorithm's description.

func sigRefEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func sigRefCanonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = sigRefEscape(s)
	}
	u := strings.Join(segs, "/")
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

func sigRefCanonicalQuery(u *url.URL) string {
	q := u.Query()
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, sigRefEscape(k)+"="+sigRefEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// sigRefSignedHeaders: every header except content-type* and names with "_".
func sigRefSignedHeaders(h http.Header) []string {
	var names []string
	for k := range h {
		l := strings.ToLower(k)
		if strings.HasPrefix(l, "content-type") || strings.Contains(k, "_") {
			continue
		}
		names = append(names, l)
	}
	sort.Strings(names)
	return names
}

func sigRefCanonicalHeaders(req *http.Request, names []string) string {
	var lines []string
	for _, n := range names {
		var vals []string
		if n == "host" {
			h := req.Host
			if h == "" {
				h = req.URL.Host
			}
			vals = []string{h}
		} else {
			for _, v := range req.Header.Values(n) {
				vals = append(vals, strings.TrimSpace(v))
			}
		}
		sort.Strings(vals)
		for _, v := range vals {
			lines = append(lines, n+":"+v)
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func sigRefCanonicalRequest(req *http.Request, names []string, body []byte) string {
	return fmt.Sprintf("%s\n%s\n%s\n%s\n%s\n%x",
		req.Method, sigRefCanonicalURI(req.URL.Path), sigRefCanonicalQuery(req.URL),
		sigRefCanonicalHeaders(req, names), strings.Join(names, ";"), sha256.Sum256(body))
}

func sigRefAuthorization(ak, sk, date, canonical string, names []string) string {
	sts := fmt.Sprintf("SDK-HMAC-SHA256\n%s\n%x", date, sha256.Sum256([]byte(canonical)))
	m := hmac.New(sha256.New, []byte(sk))
	m.Write([]byte(sts))
	return fmt.Sprintf("SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, Signature=%x", ak, strings.Join(names, ";"), m.Sum(nil))
}

// ---------------------------------------------------------------------------

const (
	sigTestAK        = "AccessKey"
	sigTestSK        = "SecretKey"
	sigTestProject   = "97b026aa9cc4417888c14c84a1ad9860"
	sigTestBackupID  = "c0c9f155c7b7423a9d30f0175998b63bbr01"
	sigTestEndpoint  = "https://rds.ap-southeast-1.myhuaweicloud.com"
	sigTestFilesPath = "/v3/" + sigTestProject + "/backup-files"
)

var sigTestTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func sigFixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

func sigNewReq(t testing.TB, method, rawURL string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// sigSignedHeaderList extracts the SignedHeaders list of an Authorization value.
func sigSignedHeaderList(t testing.TB, auth string) []string {
	t.Helper()
	_, after, ok := strings.Cut(auth, "SignedHeaders=")
	if !ok {
		t.Fatalf("no SignedHeaders in %q", auth)
	}
	list, _, _ := strings.Cut(after, ",")
	return strings.Split(list, ";")
}

// sigWire sends req through its HTTP/1.1 wire form and parses it as a server would.
func sigWire(t testing.TB, req *http.Request) *http.Request {
	t.Helper()
	var buf bytes.Buffer
	if err := req.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	srv, err := http.ReadRequest(bufio.NewReader(&buf))
	if err != nil {
		t.Fatalf("read request: %v\n%q", err, buf.String())
	}
	return srv
}

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
			req := sigNewReq(t, tc.method, tc.url, body)
			for k, v := range tc.headers {
				req.Header[k] = []string{v} // as given, like the SDK's header map
			}
			s := &Signer{AccessKey: sigTestAK, SecretKey: sigTestSK, Now: sigFixedNow(sdkDate)}
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
	req := sigNewReq(t, http.MethodGet, sigTestEndpoint+sigTestFilesPath+"?backup_id="+sigTestBackupID, nil)
	req.Header.Set("X-Language", "en-us")
	req.Header.Set("Content-Type", "application/json")
	s := &Signer{AccessKey: sigTestAK, SecretKey: sigTestSK, ProjectID: sigTestProject, Now: sigFixedNow(sigTestTime)}
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
	got, err := CanonicalRequest(req, []string{"x-language", "x-project-id", "x-sdk-date"})
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

// TestSignMatchesReference compares Sign and CanonicalRequest with the
// reference implementation above, and checks some parts literally.
func TestSignMatchesReference(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		method    string
		url       string
		body      string
		noGetBody bool // body reader without GetBody
		headers   [][2]string
		signer    Signer
		// literal expectations ("" = not checked)
		wantURI, wantQuery, wantSigned string
	}{
		{
			name:       "backup-files path gets a trailing slash",
			method:     http.MethodGet,
			url:        sigTestEndpoint + sigTestFilesPath + "?backup_id=" + sigTestBackupID,
			wantURI:    "/v3/97b026aa9cc4417888c14c84a1ad9860/backup-files/",
			wantQuery:  "backup_id=c0c9f155c7b7423a9d30f0175998b63bbr01",
			wantSigned: "x-sdk-date",
		},
		{
			name:    "all headers of a real call",
			method:  http.MethodGet,
			url:     sigTestEndpoint + sigTestFilesPath + "?backup_id=" + sigTestBackupID,
			headers: [][2]string{{"X-Language", "en-us"}, {"Content-Type", "application/json;charset=utf8"}, {"X_Custom_Header", "x"}, {"User-Agent", "rdsbackup-go/test"}},
			signer:  Signer{ProjectID: sigTestProject, SecurityToken: "tmp-token/+=="},
			wantURI: "/v3/97b026aa9cc4417888c14c84a1ad9860/backup-files/",
			// Content-Type and X_Custom_Header are not signed.
			wantSigned: "user-agent;x-language;x-project-id;x-sdk-date;x-security-token",
		},
		{
			name:       "empty path",
			method:     http.MethodGet,
			url:        "https://example.com",
			wantURI:    "/",
			wantSigned: "x-sdk-date",
		},
		{
			name:   "odd characters in the path",
			method: http.MethodGet,
			url: sigTestEndpoint + "/v3/" + url.PathEscape("a b+c*~é") + "/" + url.PathEscape("dir/file") +
				"/" + url.PathEscape("100%") + "/x",
			// The canonical URI is built from the decoded path, so a "/" that
			// was %2F on the wire is a separator here.
			wantURI: "/v3/a%20b%2Bc%2A~%C3%A9/dir/file/100%25/x/",
		},
		{
			name:   "odd characters in the query",
			method: http.MethodGet,
			url: sigTestEndpoint + sigTestFilesPath + "?" + url.Values{
				"na me": {"a+b* ~é/"}, "path": {"/tmp/123"}, "q": {"一 (&=?!#%.*)"},
			}.Encode(),
			wantQuery: "na%20me=a%2Bb%2A%20~%C3%A9%2F&path=%2Ftmp%2F123&q=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29",
		},
		{
			name:      "several keys, several values, sorted; empty value",
			method:    http.MethodGet,
			url:       sigTestEndpoint + sigTestFilesPath + "?marker=b&marker=a&limit=10&Limit=2&empty&marker=a",
			wantQuery: "Limit=2&empty=&limit=10&marker=a&marker=a&marker=b",
		},
		{
			name:      "pairs net/url drops are dropped",
			method:    http.MethodGet,
			url:       sigTestEndpoint + "/p?a=1;b=2&bad=%zz&ok=1&&=v",
			wantQuery: "=v&ok=1",
		},
		{
			name:      "more pairs than the fast path holds",
			method:    http.MethodGet,
			url:       sigTestEndpoint + "/p?" + strings.Repeat("k=v&", 40) + "a=z",
			wantQuery: "a=z" + strings.Repeat("&k=v", 40),
		},
		{
			name:       "multi-valued header, padded values",
			method:     http.MethodGet,
			url:        sigTestEndpoint + "/p",
			headers:    [][2]string{{"X-Multi", "  b "}, {"X-Multi", "a"}, {"X-Language", "\ten-us "}},
			wantSigned: "x-language;x-multi;x-sdk-date",
		},
		{
			name:       "Content-Type prefix and underscore names are not signed",
			method:     http.MethodGet,
			url:        sigTestEndpoint + "/p",
			headers:    [][2]string{{"Content-Type-Options", "x"}, {"Content-Type", "text/plain"}, {"A_B", "1"}, {"X-Ab", "2"}},
			wantSigned: "x-ab;x-sdk-date",
		},
		{
			name:    "POST with body (GetBody)",
			method:  http.MethodPost,
			url:     sigTestEndpoint + "/p?x=1",
			body:    `{"a":1}`,
			headers: [][2]string{{"Content-Type", "application/json"}},
		},
		{
			name:      "PUT with body without GetBody",
			method:    http.MethodPut,
			url:       sigTestEndpoint + "/p",
			body:      "raw body bytes",
			noGetBody: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
				if tc.noGetBody {
					body = io.MultiReader(body) // hides the concrete type from NewRequest
				}
			}
			req := sigNewReq(t, tc.method, tc.url, body)
			for _, h := range tc.headers {
				req.Header.Add(h[0], h[1])
			}
			s := tc.signer
			s.AccessKey, s.SecretKey, s.Now = sigTestAK, sigTestSK, sigFixedNow(sigTestTime)
			if err := s.Sign(req); err != nil {
				t.Fatal(err)
			}
			auth := req.Header.Get("Authorization")

			names := sigRefSignedHeaders(req.Header)
			names = sigRemoveString(names, "authorization")
			ref := sigRefCanonicalRequest(req, names, []byte(tc.body))
			got, err := CanonicalRequest(req, names)
			if err != nil {
				t.Fatal(err)
			}
			if got != ref {
				t.Errorf("canonical request\n got %q\nwant %q", got, ref)
			}
			if want := sigRefAuthorization(sigTestAK, sigTestSK, "20240102T030405Z", ref, names); auth != want {
				t.Errorf("Authorization\n got %s\nwant %s", auth, want)
			}

			lines := strings.Split(got, "\n")
			if tc.wantURI != "" && lines[1] != tc.wantURI {
				t.Errorf("canonical URI = %q, want %q", lines[1], tc.wantURI)
			}
			if tc.wantQuery != "" && lines[2] != tc.wantQuery {
				t.Errorf("canonical query = %q, want %q", lines[2], tc.wantQuery)
			}
			if tc.wantSigned != "" {
				if got := strings.Join(sigSignedHeaderList(t, auth), ";"); got != tc.wantSigned {
					t.Errorf("SignedHeaders = %q, want %q", got, tc.wantSigned)
				}
			}
			if tc.body != "" { // the body is still there to be sent
				b, err := io.ReadAll(req.Body)
				if err != nil || string(b) != tc.body {
					t.Errorf("body after Sign = %q, %v; want %q", b, err, tc.body)
				}
			}
		})
	}
}

func sigRemoveString(ss []string, s string) []string {
	out := ss[:0]
	for _, v := range ss {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// TestHMACMatchesCryptoHMAC: the allocation-free HMAC equals crypto/hmac for
// keys shorter than, equal to and longer than the SHA-256 block.
func TestHMACMatchesCryptoHMAC(t *testing.T) {
	t.Parallel()
	tests := []struct{ key, msg string }{
		{"", ""},
		{"SecretKey", "SDK-HMAC-SHA256\n20060102T150405Z\n" + strings.Repeat("a", 64)},
		{strings.Repeat("k", 63), "m"},
		{strings.Repeat("k", 64), "message"},
		{strings.Repeat("k", 65), "message"},
		{strings.Repeat("long key ", 30), strings.Repeat("long message ", 40)}, // msg beyond the stack buffer
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("key%d_msg%d", len(tc.key), len(tc.msg)), func(t *testing.T) {
			t.Parallel()
			m := hmac.New(sha256.New, []byte(tc.key))
			m.Write([]byte(tc.msg))
			want := m.Sum(nil)
			if got := sigHMAC(tc.key, []byte(tc.msg)); !bytes.Equal(got[:], want) {
				t.Errorf("sigHMAC = %x, want %x", got, want)
			}
		})
	}
}

func TestSignHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		before http.Header
		signer Signer
		check  func(t *testing.T, h http.Header)
	}{
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
			signer: Signer{ProjectID: sigTestProject},
			check: func(t *testing.T, h http.Header) {
				if got := h.Values("X-Project-Id"); len(got) != 1 || got[0] != "other" {
					t.Errorf("X-Project-Id = %q", got)
				}
			},
		},
		{
			name:   "project and security token are set and signed",
			signer: Signer{ProjectID: sigTestProject, SecurityToken: "tok"},
			check: func(t *testing.T, h http.Header) {
				if h.Get("X-Project-Id") != sigTestProject || h.Get("X-Security-Token") != "tok" {
					t.Errorf("headers = %v", h)
				}
				if !strings.Contains(h.Get("Authorization"), "SignedHeaders=x-project-id;x-sdk-date;x-security-token,") {
					t.Errorf("Authorization = %q", h.Get("Authorization"))
				}
			},
		},
		{
			name:   "UTC date from a non-UTC clock",
			signer: Signer{Now: sigFixedNow(sigTestTime.In(time.FixedZone("UTC+8", 8*3600)))},
			check: func(t *testing.T, h http.Header) {
				if h.Get("X-Sdk-Date") != "20240102T030405Z" {
					t.Errorf("X-Sdk-Date = %q", h.Get("X-Sdk-Date"))
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := sigNewReq(t, http.MethodGet, sigTestEndpoint+sigTestFilesPath, nil)
			for k, v := range tc.before {
				req.Header[k] = v
			}
			s := tc.signer
			s.AccessKey, s.SecretKey = sigTestAK, sigTestSK
			if s.Now == nil {
				s.Now = sigFixedNow(sigTestTime)
			}
			if err := s.Sign(req); err != nil {
				t.Fatal(err)
			}
			tc.check(t, req.Header)
			if err := VerifyRequest(req, sigSecrets, sigTestTime, 0); err != nil {
				t.Errorf("VerifyRequest: %v", err)
			}
		})
	}
}

func TestSignRefusesMissingCredentials(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		signer *Signer
	}{
		{"nil signer", nil},
		{"empty", &Signer{}},
		{"no access key", &Signer{SecretKey: sigTestSK}},
		{"no secret key", &Signer{AccessKey: sigTestAK}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := sigNewReq(t, http.MethodGet, sigTestEndpoint+sigTestFilesPath, nil)
			err := tc.signer.Sign(req)
			if !errors.Is(err, ErrMissingCredentials) {
				t.Fatalf("Sign = %v, want ErrMissingCredentials", err)
			}
			if len(req.Header) != 0 {
				t.Errorf("request changed: %v", req.Header)
			}
			if err := tc.signer.RequestEditor()(context.Background(), req); !errors.Is(err, ErrMissingCredentials) {
				t.Errorf("RequestEditor = %v", err)
			}
		})
	}
	if err := (&Signer{AccessKey: sigTestAK, SecretKey: sigTestSK}).Sign(nil); err == nil {
		t.Error("Sign(nil) succeeded")
	}
}

func TestRequestEditorsSetHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		editor  RequestEditorFn
		header  string
		want    string // prefix of the header value
		wantErr bool
	}{
		{"signer", (&Signer{AccessKey: sigTestAK, SecretKey: sigTestSK}).RequestEditor(), "Authorization", "SDK-HMAC-SHA256 Access=AccessKey, ", false},
		{"token", TokenAuth("MIIT-token"), "X-Auth-Token", "MIIT-token", false},
		{"empty token", TokenAuth(""), "X-Auth-Token", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := sigNewReq(t, http.MethodGet, sigTestEndpoint+sigTestFilesPath, nil)
			err := tc.editor(context.Background(), req)
			if (err != nil) != tc.wantErr {
				t.Fatalf("editor error = %v, wantErr %v", err, tc.wantErr)
			}
			if got := req.Header.Get(tc.header); !strings.HasPrefix(got, tc.want) || (tc.want == "") != (got == "") {
				t.Errorf("%s = %q, want prefix %q", tc.header, got, tc.want)
			}
		})
	}
}

// ---------------------------------------------------------------------------
// VerifyRequest

func sigSecrets(ak string) (string, bool) {
	if ak == sigTestAK {
		return sigTestSK, true
	}
	return "", false
}

var sigHex64 = regexp.MustCompile(`[0-9a-fA-F]{64}`)

func TestVerifyRequest(t *testing.T) {
	t.Parallel()
	replaceAuth := func(old, new string) func(*http.Request) {
		return func(r *http.Request) {
			r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), old, new, 1))
		}
	}
	tests := []struct {
		name      string
		mutate    func(*http.Request)
		secretFor func(string) (string, bool)
		now       time.Time
		maxSkew   time.Duration
		viaWire   bool // parse the request from its wire form first
		want      SignatureFailure
		ok        bool
	}{
		{name: "as signed", ok: true},
		{name: "as signed, through the wire", viaWire: true, ok: true},
		{name: "14 minutes later", now: sigTestTime.Add(14 * time.Minute), ok: true},
		{name: "16 minutes later", now: sigTestTime.Add(16 * time.Minute), want: SigStaleDate},
		{name: "16 minutes earlier (date in the future)", now: sigTestTime.Add(-16 * time.Minute), want: SigStaleDate},
		{name: "custom skew", now: sigTestTime.Add(2 * time.Minute), maxSkew: time.Minute, want: SigStaleDate},
		{name: "tampered query value", mutate: func(r *http.Request) { r.URL.RawQuery = "backup_id=" + sigTestBackupID + "x" }, want: SigMismatch},
		{name: "added query value", mutate: func(r *http.Request) { r.URL.RawQuery += "&limit=1" }, want: SigMismatch},
		{name: "tampered path", mutate: func(r *http.Request) { r.URL.Path = "/v3/" + sigTestProject + "/backups" }, want: SigMismatch},
		{name: "tampered method", mutate: func(r *http.Request) { r.Method = http.MethodDelete }, want: SigMismatch},
		{name: "tampered signed header", mutate: func(r *http.Request) { r.Header.Set("X-Language", "zh-cn") }, want: SigMismatch},
		{name: "unsigned header may change", mutate: func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, ok: true},
		{name: "wrong secret", secretFor: func(string) (string, bool) { return "OtherSecret", true }, want: SigMismatch},
		{name: "unknown access key", secretFor: func(string) (string, bool) { return "", false }, want: SigUnknownKey},
		{name: "nil secretFor", secretFor: nil, mutate: func(*http.Request) {}, want: SigUnknownKey},
		{name: "signed header removed", mutate: func(r *http.Request) { r.Header.Del("X-Language") }, want: SigMissingHeader},
		{name: "X-Sdk-Date removed", mutate: func(r *http.Request) { r.Header.Del("X-Sdk-Date") }, want: SigMissingHeader},
		{name: "x-sdk-date not signed", mutate: replaceAuth("SignedHeaders=x-language;x-project-id;x-sdk-date", "SignedHeaders=x-language;x-project-id"), want: SigMissingHeader},
		{name: "missing Authorization", mutate: func(r *http.Request) { r.Header.Del("Authorization") }, want: SigMissing},
		{name: "empty Authorization", mutate: func(r *http.Request) { r.Header.Set("Authorization", "") }, want: SigMissing},
		{name: "wrong algorithm", mutate: replaceAuth("SDK-HMAC-SHA256", "SDK-HMAC-SHA512"), want: SigMalformed},
		{name: "other scheme", mutate: func(r *http.Request) { r.Header.Set("Authorization", "Bearer abc") }, want: SigMalformed},
		{name: "no Signature part", mutate: func(r *http.Request) {
			a, _, _ := strings.Cut(r.Header.Get("Authorization"), ", Signature=")
			r.Header.Set("Authorization", a)
		}, want: SigMalformed},
		{name: "no Access part", mutate: replaceAuth("Access=AccessKey, ", ""), want: SigMalformed},
		{name: "empty Access", mutate: replaceAuth("Access=AccessKey", "Access="), want: SigMalformed},
		{name: "no SignedHeaders part", mutate: replaceAuth("SignedHeaders=x-language;x-project-id;x-sdk-date, ", ""), want: SigMalformed},
		{name: "repeated part", mutate: replaceAuth("Access=AccessKey", "Access=AccessKey, Access=AccessKey"), want: SigMalformed},
		{name: "unknown part", mutate: replaceAuth("Access=AccessKey", "Access=AccessKey, Foo=bar"), want: SigMalformed},
		{name: "part without =", mutate: replaceAuth("Access=AccessKey", "Access=AccessKey, junk"), want: SigMalformed},
		{name: "short signature", mutate: func(r *http.Request) {
			r.Header.Set("Authorization", r.Header.Get("Authorization")[:len(r.Header.Get("Authorization"))-2])
		}, want: SigMalformed},
		{name: "non-hex signature", mutate: func(r *http.Request) {
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-1]+"g")
		}, want: SigMalformed},
		{name: "upper-case signature is the same signature", mutate: func(r *http.Request) {
			a, sig, _ := strings.Cut(r.Header.Get("Authorization"), "Signature=")
			r.Header.Set("Authorization", a+"Signature="+strings.ToUpper(sig))
		}, ok: true},
		{name: "upper-case SignedHeaders", mutate: replaceAuth("x-language", "X-Language"), want: SigMalformed},
		{name: "empty name in SignedHeaders", mutate: replaceAuth("x-language;", ";x-language;"), want: SigMalformed},
		{name: "two Authorization headers", mutate: func(r *http.Request) { r.Header.Add("Authorization", "x") }, want: SigMalformed},
		{name: "unparsable X-Sdk-Date", mutate: func(r *http.Request) { r.Header.Set("X-Sdk-Date", "yesterday") }, want: SigMalformed},
		{name: "X-Sdk-Date with fraction", mutate: func(r *http.Request) { r.Header.Set("X-Sdk-Date", "20240102T030405.5Z") }, want: SigMalformed},
		{name: "signature of another date", mutate: func(r *http.Request) { r.Header.Set("X-Sdk-Date", "20240102T030406Z") }, want: SigMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := sigNewReq(t, http.MethodGet, sigTestEndpoint+sigTestFilesPath+"?backup_id="+sigTestBackupID, nil)
			req.Header.Set("X-Language", "en-us")
			req.Header.Set("Content-Type", "application/json")
			s := &Signer{AccessKey: sigTestAK, SecretKey: sigTestSK, ProjectID: sigTestProject, Now: sigFixedNow(sigTestTime)}
			if err := s.Sign(req); err != nil {
				t.Fatal(err)
			}
			if tc.viaWire {
				req = sigWire(t, req)
			}
			if tc.mutate != nil {
				tc.mutate(req)
			}
			secretFor := sigSecrets
			if tc.secretFor != nil || tc.name == "nil secretFor" {
				secretFor = tc.secretFor
			}
			now := tc.now
			if now.IsZero() {
				now = sigTestTime
			}
			err := VerifyRequest(req, secretFor, now, tc.maxSkew)
			if tc.ok {
				if err != nil {
					t.Fatalf("VerifyRequest = %v, want nil", err)
				}
				return
			}
			var se *SignatureError
			if !errors.As(err, &se) {
				t.Fatalf("VerifyRequest = %v (%T), want *SignatureError", err, err)
			}
			if se.Reason != tc.want {
				t.Errorf("Reason = %q, want %q (%v)", se.Reason, tc.want, err)
			}
			msg := err.Error()
			if strings.Contains(msg, sigTestSK) || strings.Contains(msg, "OtherSecret") || sigHex64.MatchString(msg) {
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
		want       SignatureFailure
	}{
		{name: "req.Host", signedHost: "rds.example.com", reqHost: "rds.example.com"},
		{name: "falls back to URL host", signedHost: "rds.example.com:8443"},
		{name: "other host", signedHost: "rds.example.com", reqHost: "evil.example.com", want: SigMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := sigNewReq(t, http.MethodGet, "https://rds.example.com:8443/v3/p/backup-files?backup_id=1", nil)
			req.Host = tc.signedHost
			req.Header.Set("X-Sdk-Date", date)
			names := []string{"host", "x-sdk-date"}
			req.Header.Set("Authorization", sigRefAuthorization(sigTestAK, sigTestSK, date, sigRefCanonicalRequest(req, names, nil), names))
			req.Host = tc.reqHost
			err := VerifyRequest(req, sigSecrets, sigTestTime, 0)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("VerifyRequest = %v", err)
				}
				return
			}
			var se *SignatureError
			if !errors.As(err, &se) || se.Reason != tc.want {
				t.Fatalf("VerifyRequest = %v, want %s", err, tc.want)
			}
		})
	}
}

// TestVerifyThroughServer signs a real client request and verifies it in an
// http.Handler (body included).
func TestVerifyBodyThroughWire(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		tamper     bool
		want       SignatureFailure
	}{
		{name: "body", body: `{"backup_id":"x"}`},
		{name: "tampered body", body: `{"backup_id":"x"}`, tamper: true, want: SigMismatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := sigNewReq(t, http.MethodPost, sigTestEndpoint+"/v3/p/x", strings.NewReader(tc.body))
			if err := (&Signer{AccessKey: sigTestAK, SecretKey: sigTestSK, Now: sigFixedNow(sigTestTime)}).Sign(req); err != nil {
				t.Fatal(err)
			}
			srv := sigWire(t, req)
			if tc.tamper {
				srv.Body = io.NopCloser(strings.NewReader(tc.body + " "))
			}
			err := VerifyRequest(srv, sigSecrets, sigTestTime, 0)
			if tc.want == "" && err != nil {
				t.Fatalf("VerifyRequest = %v", err)
			}
			var se *SignatureError
			if tc.want != "" && (!errors.As(err, &se) || se.Reason != tc.want) {
				t.Fatalf("VerifyRequest = %v, want %s", err, tc.want)
			}
			if b, _ := io.ReadAll(srv.Body); tc.want == "" && string(b) != tc.body {
				t.Errorf("body after VerifyRequest = %q", b)
			}
		})
	}
}

// ---------------------------------------------------------------------------

// sigValidHeaderValue is a simplified httpguts.ValidHeaderFieldValue.
func sigValidHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

func FuzzSignVerify(f *testing.F) {
	f.Add(sigTestProject, "backup_id", sigTestBackupID, "en-us")
	f.Add("a b+c*~é", "na me", "a+b* ~é/", "  padded\t")
	f.Add("dir%2Ffile", "x;y", "a&b=c", "")
	f.Add("..", "=", "%zz", "\xff\xfe")
	f.Add("", "", "", "\u00a0nbsp\u00a0")
	f.Fuzz(func(t *testing.T, seg, key, value, header string) {
		if !sigValidHeaderValue(header) {
			t.Skip()
		}
		raw := sigTestEndpoint + "/v3/" + url.PathEscape(seg) + "/backup-files?" + url.Values{key: {value}}.Encode()
		req, err := http.NewRequest(http.MethodGet, raw, nil)
		if err != nil {
			t.Skip()
		}
		req.Header.Set("X-Fuzz", header)
		s := &Signer{AccessKey: sigTestAK, SecretKey: sigTestSK, ProjectID: sigTestProject, SecurityToken: header, Now: sigFixedNow(sigTestTime)}
		if err := s.Sign(req); err != nil {
			t.Fatal(err)
		}
		names := sigSignedHeaderList(t, req.Header.Get("Authorization"))
		got, err := CanonicalRequest(req, names)
		if err != nil {
			t.Fatal(err)
		}
		if ref := sigRefCanonicalRequest(req, names, nil); got != ref {
			t.Fatalf("canonical request differs from the reference\n got %q\nwant %q", got, ref)
		}
		if err := VerifyRequest(req, sigSecrets, sigTestTime, 0); err != nil {
			t.Fatalf("VerifyRequest(signed request) = %v", err)
		}
		if err := VerifyRequest(sigWire(t, req), sigSecrets, sigTestTime, 0); err != nil {
			t.Fatalf("VerifyRequest(request from the wire) = %v", err)
		}
	})
}

// ---------------------------------------------------------------------------

func BenchmarkSign(b *testing.B) {
	req := sigNewReq(b, http.MethodGet, sigTestEndpoint+sigTestFilesPath+"?backup_id="+sigTestBackupID, nil)
	req.Header.Set("X-Language", "en-us")
	req.Header.Set("User-Agent", "rdsbackup-go/0.1.0")
	s := &Signer{AccessKey: sigTestAK, SecretKey: sigTestSK, ProjectID: sigTestProject, Now: sigFixedNow(sigTestTime)}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Sign(req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyRequest(b *testing.B) {
	req := sigNewReq(b, http.MethodGet, sigTestEndpoint+sigTestFilesPath+"?backup_id="+sigTestBackupID, nil)
	req.Header.Set("X-Language", "en-us")
	s := &Signer{AccessKey: sigTestAK, SecretKey: sigTestSK, ProjectID: sigTestProject, Now: sigFixedNow(sigTestTime)}
	if err := s.Sign(req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := VerifyRequest(req, sigSecrets, sigTestTime, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// TestContentSha256Header: with X-Sdk-Content-Sha256 present, its value stands for the body
// hash (the reference signer's getContentHash), in signing and in verifying.
func TestContentSha256Header(t *testing.T) {
	t.Parallel()
	req, _ := http.NewRequest(http.MethodPut, "https://example.huaweicloud.com/v3/p/upload", strings.NewReader("binary"))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(HeaderContentSha256, "UNSIGNED-PAYLOAD")
	req.Header.Set("X-Sdk-Date", "20060102T150405Z")
	canon, err := CanonicalRequest(req, []string{"x-sdk-content-sha256", "x-sdk-date"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(canon, "\nUNSIGNED-PAYLOAD") {
		t.Fatalf("canonical request does not end with the header's value:\n%s", canon)
	}
	s := &Signer{AccessKey: "AK", SecretKey: "SK", Now: func() time.Time { return time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC) }}
	if err := s.Sign(req); err != nil {
		t.Fatal(err)
	}
	err = VerifyRequest(req, func(string) (string, bool) { return "SK", true }, time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC), 0)
	if err != nil {
		t.Fatal(err)
	}
}
