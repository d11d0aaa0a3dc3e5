package contract

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// Secrets planted in test links; they must never appear in a Violation.
const (
	secretSignature = "s3cr3tSIGNATUREvalue0123456789"
	secretAK        = "AKIDPLANTEDSECRET42"
)

const (
	testProject = "97b026aa9cc4417888c14c84a1ad9860"
	testBackup  = "c0c9f155c7b7423a9d30f0175998b63bbr01"
	testURL     = "https://rds.ap-southeast-1.myhuaweicloud.com/v3/" + testProject + "/backup-files?backup_id=" + testBackup
	// testDate is one hour before the links' expiry (2026-01-01T00:00:00Z, Unix 1767225600).
	testDate = "Wed, 31 Dec 2025 23:00:00 GMT"
)

func testLink(name string) string {
	return "https://rdsbucket-ap-southeast-1.obs.ap-southeast-1.myhuaweicloud.com/c0c9f155/" + name +
		"?AccessKeyId=" + secretAK + "&Expires=1767225600&Signature=" + secretSignature
}

// okBody returns a conforming 200 body with three files, as a mutable JSON tree.
func okBody() map[string]any {
	file := func(name string, size int, db string) map[string]any {
		return map[string]any{
			"name":              "c0c9f155c7b7423a9d30f0175998b63bbr01_" + name,
			"size":              size,
			"download_link":     testLink(name),
			"link_expired_time": "2026-01-01T08:00:00+0800",
			"database_name":     db,
		}
	}
	return map[string]any{
		"files": []any{
			file("orders.tar.gz", 1048576, "orders"),
			file("billing.tar.gz", 20480, "billing"),
			file("meta.json", 1, ""),
		},
		"bucket": "rdsbucket-ap-southeast-1",
	}
}

// encode marshals v without HTML escaping (so links keep their '&', as servers send them).
func encode(t testing.TB, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

func jsonHeader() http.Header {
	return http.Header{
		"Content-Type": {"application/json;charset=UTF-8"},
		"X-Request-Id": {"7c5b8a3f0e2d4c1b9a8f7e6d5c4b3a29"},
		"Date":         {testDate},
	}
}

// okExchange is a conforming 200 exchange.
func okExchange(t testing.TB) Exchange {
	return Exchange{
		Method:        http.MethodGet,
		URL:           testURL,
		RequestHeader: http.Header{"X-Auth-Token": {"MIItoken"}, "Content-Type": {"application/json"}},
		StatusCode:    http.StatusOK,
		Header:        jsonHeader(),
		Body:          encode(t, okBody()),
	}
}

// withBody returns okExchange with its body changed by mutate.
func withBody(t testing.TB, mutate func(b map[string]any)) Exchange {
	b := okBody()
	mutate(b)
	ex := okExchange(t)
	ex.Body = encode(t, b)
	return ex
}

func file0(b map[string]any) map[string]any { return b["files"].([]any)[0].(map[string]any) }

var (
	sharedOnce sync.Once
	sharedV    *Validator
	sharedErr  error
)

// testValidator returns a Validator shared by the tests (built once, as in production).
func testValidator(t testing.TB) *Validator {
	t.Helper()
	sharedOnce.Do(func() { sharedV, sharedErr = NewValidator(Options{}) })
	if sharedErr != nil {
		t.Fatal(sharedErr)
	}
	return sharedV
}

func dump(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString("\n  [")
		b.WriteString(v.Severity.String())
		b.WriteString("] ")
		b.WriteString(v.String())
	}
	return b.String()
}
