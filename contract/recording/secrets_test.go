package recording

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
	"gopkg.in/yaml.v3"
)

const echoed = "ECHOED-TOKEN-0a1b2c3d" // a known secret (Options.Secrets), at least 8 bytes

// TestRedactMasksGluedSecrets: a known secret is masked wherever it occurs inside a value,
// joined to other text by '-' or anything else (an X-Request-Id "rid-<token>", a body
// "abc-<token>-x"), in header names and values, the URL, the form and the bodies; and the
// check made before writing finds nothing left in the cassette, by the same rule.
func TestRedactMasksGluedSecrets(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		set  func(in *cassette.Interaction)
		kept string // what must remain around the mask
	}{
		{"response X-Request-Id", func(in *cassette.Interaction) { in.Response.Headers.Set("X-Request-Id", "rid-"+echoed) }, "rid-REDACTED"},
		{"request header", func(in *cassette.Interaction) { in.Request.Headers.Set("X-Trace", "t-"+echoed+"-1") }, "t-REDACTED-1"},
		{"header name", func(in *cassette.Interaction) { in.Response.Headers["X-"+echoed] = []string{"1"} }, "X-REDACTED"},
		{"text body", func(in *cassette.Interaction) { in.Response.Body = "abc-" + echoed + "-x" }, "abc-REDACTED-x"},
		{"json body", func(in *cassette.Interaction) {
			in.Response.Body = `{"error_code":"E","error_msg":"abc-` + echoed + `-x","request_id":"rid-` + echoed + `"}`
		}, `"request_id":"rid-REDACTED"`},
		{"binary body", func(in *cassette.Interaction) { in.Response.Body = "\xff\xfeabc" + echoed + "x" }, "abcREDACTEDx"},
		{"url path and query", func(in *cassette.Interaction) {
			in.Request.URL = "https://h/v3/p-" + echoed + "/backup-files?backup_id=b-" + echoed
		}, "/v3/p-REDACTED/backup-files?backup_id=b-REDACTED"},
		{"request uri", func(in *cassette.Interaction) { in.Request.RequestURI = "/x?id=a" + echoed }, "/x?id=aREDACTED"},
		{"form", func(in *cassette.Interaction) { in.Request.Form = url.Values{"backup_id": {"b-" + echoed}} }, "b-REDACTED"},
		{"form key", func(in *cassette.Interaction) { in.Request.Form = url.Values{"k-" + echoed: {"v"}} }, "k-REDACTED"},
		{"status", func(in *cassette.Interaction) { in.Response.Status = "400 bad-" + echoed }, "400 bad-REDACTED"},
		{"trailer", func(in *cassette.Interaction) { in.Response.Trailer = http.Header{"X-T": {"t-" + echoed}} }, "t-REDACTED"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := &cassette.Interaction{
				Request:  cassette.Request{URL: "https://h/v3/p/backup-files?backup_id=b", Method: "GET", Headers: http.Header{}},
				Response: cassette.Response{Code: 200, Headers: http.Header{}},
			}
			tc.set(in)
			opts := Options{Secrets: []string{echoed}}
			Redact(in, opts)
			data, err := yaml.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			all := string(data) + in.Response.Body
			if strings.Contains(all, echoed) {
				t.Errorf("the secret survived:\n%s", all)
			}
			if !strings.Contains(all, tc.kept) {
				t.Errorf("%q is not in the redacted interaction:\n%s", tc.kept, all)
			}
			// the check before writing agrees: the redacted cassette is written
			if err := (checkedFS{words: opts.words()}).WriteFile(filepath.Join(t.TempDir(), "c.yaml"), data); err != nil {
				t.Errorf("the check refused what the masking left: %v", err)
			}
		})
	}
}

// TestWriteRefusesAnySecretLeft: the check made before a cassette is written refuses a secret
// wherever it occurs (glued to other text too: the same rule as the masking); a short value
// only as a whole word. Nothing is written when it refuses, and the message never names the
// value.
func TestWriteRefusesAnySecretLeft(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		data   string
		words  []string
		refuse bool
	}{
		{"alone", "x: " + echoed + "\n", []string{echoed}, true},
		{"request id", "X-Request-Id:\n  - rid-" + echoed + "\n", []string{echoed}, true},
		{"glued", "body: abc-" + echoed + "-x\n", []string{echoed}, true},
		{"inside a word", "body: abc" + echoed + "x\n", []string{echoed}, true},
		{"masked", "body: abc-REDACTED-x\n", []string{echoed}, false},
		{"short word", "body: project P here\n", []string{"P"}, true},
		{"short glued", "body: Permission PP P1\n", []string{"P"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := filepath.Join(t.TempDir(), "c.yaml")
			err := (checkedFS{words: tc.words}).WriteFile(name, []byte(tc.data))
			_, statErr := os.Stat(name)
			switch {
			case tc.refuse && err == nil:
				t.Errorf("wrote %q holding %q", tc.data, tc.words)
			case tc.refuse && !os.IsNotExist(statErr):
				t.Errorf("refused (%v) but the file exists", err)
			case tc.refuse && strings.Contains(err.Error(), tc.words[0]):
				t.Errorf("the refusal names the value: %v", err)
			case !tc.refuse && err != nil:
				t.Errorf("refused %q: %v", tc.data, err)
			}
		})
	}
}
