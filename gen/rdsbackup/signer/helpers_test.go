package signer_test

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Shared fixtures and helpers.

const (
	testAK        = "AccessKey"
	testSK        = "SecretKey"
	testProject   = "97b026aa9cc4417888c14c84a1ad9860"
	testBackupID  = "c0c9f155c7b7423a9d30f0175998b63bbr01"
	testEndpoint  = "https://rds.ap-southeast-1.myhuaweicloud.com"
	testFilesPath = "/v3/" + testProject + "/backup-files"
)

var testTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func fixedNow(t time.Time) func() time.Time { return func() time.Time { return t } }

func newReq(t testing.TB, method, rawURL string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, rawURL, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// signedHeaderList extracts the SignedHeaders list of an Authorization value.
func signedHeaderList(t testing.TB, auth string) []string {
	t.Helper()
	_, after, ok := strings.Cut(auth, "SignedHeaders=")
	if !ok {
		t.Fatalf("no SignedHeaders in %q", auth)
	}
	list, _, _ := strings.Cut(after, ",")
	return strings.Split(list, ";")
}

// wire sends req through its HTTP/1.1 wire form and parses it as a server would.
func wire(t testing.TB, req *http.Request) *http.Request {
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

// secrets knows one access key, testAK.
func secrets(ak string) (string, bool) {
	if ak == testAK {
		return testSK, true
	}
	return "", false
}

// hex64 matches what could be a signature in an error text.
var hex64 = regexp.MustCompile(`[0-9a-fA-F]{64}`)
