package signer_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

// Reference implementation: deliberately simple and independent of the
// package (fmt, sort, strings, url.Values), written from the algorithm's
// description.

func refEscape(s string) string {
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

func refCanonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = refEscape(s)
	}
	u := strings.Join(segs, "/")
	if !strings.HasSuffix(u, "/") {
		u += "/"
	}
	return u
}

func refCanonicalQuery(u *url.URL) string {
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
			parts = append(parts, refEscape(k)+"="+refEscape(v))
		}
	}
	return strings.Join(parts, "&")
}

// refSignedHeaders: every header except content-type* and names with "_".
func refSignedHeaders(h http.Header) []string {
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

func refCanonicalHeaders(req *http.Request, names []string) string {
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

func refCanonicalRequest(req *http.Request, names []string, body []byte) string {
	return fmt.Sprintf("%s\n%s\n%s\n%s\n%s\n%x",
		req.Method, refCanonicalURI(req.URL.Path), refCanonicalQuery(req.URL),
		refCanonicalHeaders(req, names), strings.Join(names, ";"), sha256.Sum256(body))
}

func refAuthorization(ak, sk, date, canonical string, names []string) string {
	sts := fmt.Sprintf("SDK-HMAC-SHA256\n%s\n%x", date, sha256.Sum256([]byte(canonical)))
	m := hmac.New(sha256.New, []byte(sk))
	m.Write([]byte(sts))
	return fmt.Sprintf("SDK-HMAC-SHA256 Access=%s, SignedHeaders=%s, Signature=%x", ak, strings.Join(names, ";"), m.Sum(nil))
}

// referenceCase is a case of TestSignMatchesReference: base (with the test
// AK/SK and testTime) signs the request described.
type referenceCase struct {
	name      string
	method    string
	url       string
	body      string
	noGetBody bool // body reader without GetBody
	headers   [][2]string
	base      signer.Signer
	// literal expectations ("" = not checked)
	wantURI, wantQuery, wantSigned string
}

var referenceCases = []referenceCase{
	{
		name:       "backup-files path gets a trailing slash",
		method:     http.MethodGet,
		url:        testEndpoint + testFilesPath + "?backup_id=" + testBackupID,
		wantURI:    "/v3/97b026aa9cc4417888c14c84a1ad9860/backup-files/",
		wantQuery:  "backup_id=c0c9f155c7b7423a9d30f0175998b63bbr01",
		wantSigned: "x-sdk-date",
	},
	{
		name:    "all headers of a real call",
		method:  http.MethodGet,
		url:     testEndpoint + testFilesPath + "?backup_id=" + testBackupID,
		headers: [][2]string{{"X-Language", "en-us"}, {"Content-Type", "application/json;charset=utf8"}, {"X_Custom_Header", "x"}, {"User-Agent", "rdsbackup-go/test"}},
		base:    signer.Signer{ProjectID: testProject, SecurityToken: "tmp-token/+=="},
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
		url: testEndpoint + "/v3/" + url.PathEscape("a b+c*~é") + "/" + url.PathEscape("dir/file") +
			"/" + url.PathEscape("100%") + "/x",
		// The canonical URI is built from the decoded path, so a "/" that
		// was %2F on the wire is a separator here.
		wantURI: "/v3/a%20b%2Bc%2A~%C3%A9/dir/file/100%25/x/",
	},
	{
		name:   "odd characters in the query",
		method: http.MethodGet,
		url: testEndpoint + testFilesPath + "?" + url.Values{
			"na me": {"a+b* ~é/"}, "path": {"/tmp/123"}, "q": {"一 (&=?!#%.*)"},
		}.Encode(),
		wantQuery: "na%20me=a%2Bb%2A%20~%C3%A9%2F&path=%2Ftmp%2F123&q=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29",
	},
	{
		name:      "several keys, several values, sorted; empty value",
		method:    http.MethodGet,
		url:       testEndpoint + testFilesPath + "?marker=b&marker=a&limit=10&Limit=2&empty&marker=a",
		wantQuery: "Limit=2&empty=&limit=10&marker=a&marker=a&marker=b",
	},
	{
		name:      "pairs net/url drops are dropped",
		method:    http.MethodGet,
		url:       testEndpoint + "/p?a=1;b=2&bad=%zz&ok=1&&=v",
		wantQuery: "=v&ok=1",
	},
	{
		name:      "more pairs than the fast path holds",
		method:    http.MethodGet,
		url:       testEndpoint + "/p?" + strings.Repeat("k=v&", 40) + "a=z",
		wantQuery: "a=z" + strings.Repeat("&k=v", 40),
	},
	{
		name:       "multi-valued header, padded values",
		method:     http.MethodGet,
		url:        testEndpoint + "/p",
		headers:    [][2]string{{"X-Multi", "  b "}, {"X-Multi", "a"}, {"X-Language", "\ten-us "}},
		wantSigned: "x-language;x-multi;x-sdk-date",
	},
	{
		name:       "Content-Type prefix and underscore names are not signed",
		method:     http.MethodGet,
		url:        testEndpoint + "/p",
		headers:    [][2]string{{"Content-Type-Options", "x"}, {"Content-Type", "text/plain"}, {"A_B", "1"}, {"X-Ab", "2"}},
		wantSigned: "x-ab;x-sdk-date",
	},
	{
		name:    "POST with body (GetBody)",
		method:  http.MethodPost,
		url:     testEndpoint + "/p?x=1",
		body:    `{"a":1}`,
		headers: [][2]string{{"Content-Type", "application/json"}},
	},
	{
		name:      "PUT with body without GetBody",
		method:    http.MethodPut,
		url:       testEndpoint + "/p",
		body:      "raw body bytes",
		noGetBody: true,
	},
}

// TestSignMatchesReference compares Sign and CanonicalRequest with the
// reference implementation above, and checks some parts literally.
func TestSignMatchesReference(t *testing.T) {
	t.Parallel()
	for _, tc := range referenceCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkReference(t, tc)
		})
	}
}

func checkReference(t *testing.T, tc referenceCase) {
	var body io.Reader
	if tc.body != "" {
		body = strings.NewReader(tc.body)
		if tc.noGetBody {
			body = io.MultiReader(body) // hides the concrete type from NewRequest
		}
	}
	req := newReq(t, tc.method, tc.url, body)
	for _, h := range tc.headers {
		req.Header.Add(h[0], h[1])
	}
	s := tc.base
	s.AccessKey, s.SecretKey, s.Now = testAK, testSK, fixedNow(testTime)
	if err := s.Sign(req); err != nil {
		t.Fatal(err)
	}
	auth := req.Header.Get("Authorization")

	names := refSignedHeaders(req.Header)
	names = removeString(names, "authorization")
	ref := refCanonicalRequest(req, names, []byte(tc.body))
	got, err := signer.CanonicalRequest(req, names)
	if err != nil {
		t.Fatal(err)
	}
	if got != ref {
		t.Errorf("canonical request\n got %q\nwant %q", got, ref)
	}
	if want := refAuthorization(testAK, testSK, "20240102T030405Z", ref, names); auth != want {
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
		if got := strings.Join(signedHeaderList(t, auth), ";"); got != tc.wantSigned {
			t.Errorf("SignedHeaders = %q, want %q", got, tc.wantSigned)
		}
	}
	if tc.body != "" { // the body is still there to be sent
		b, err := io.ReadAll(req.Body)
		if err != nil || string(b) != tc.body {
			t.Errorf("body after Sign = %q, %v; want %q", b, err, tc.body)
		}
	}
}

// removeString removes every s from ss, in place.
func removeString(ss []string, s string) []string {
	out := ss[:0]
	for _, v := range ss {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}
