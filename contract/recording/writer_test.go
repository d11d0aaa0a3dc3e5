package recording

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/dnaeon/go-vcr.v4/pkg/cassette"
)

// TestWriterRedactsEachInteractionWithItsOwnSecrets: the secrets given with one interaction
// are masked wherever they appear in it (and in the others), the cassette loads back, and a
// Writer with nothing added is refused a bad name only.
func TestWriterRedactsEachInteractionWithItsOwnSecrets(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := NewWriter(dir, "proxy.yaml", Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i, tok := range []string{"first-token-0123456789", "second-token-0123456789"} {
		in := &cassette.Interaction{
			Request: cassette.Request{Method: "GET", URL: "https://rds.example.com/v3/97b026aa9cc4417888c14c84a1ad9860/backup-files?backup_id=b",
				Headers: http.Header{"X-Auth-Token": {tok}}},
			Response: cassette.Response{Code: 401, Status: "401 Unauthorized", Headers: http.Header{"X-Request-Id": {"rid-" + tok}, "Content-Type": {"application/json"}},
				Body: `{"error_code":"APIG.0301","error_msg":"bad token ` + tok + `"}`},
		}
		if idx := w.Add(in, tok); idx != i {
			t.Errorf("index %d, want %d", idx, i)
		}
	}
	if w.Len() != 2 || w.File() != filepath.Join(dir, "proxy.yaml") {
		t.Fatalf("len %d file %s", w.Len(), w.File())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(w.File())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "-token-") {
		t.Errorf("a token is in the cassette:\n%s", b)
	}
	c, err := Load(w.File())
	if err != nil || len(c.Interactions) != 2 || c.Interactions[1].Exchange.StatusCode != 401 {
		t.Fatalf("load: %v %+v", err, c)
	}
	for _, name := range []string{"", "a/b", ".."} {
		if _, err := NewWriter(dir, name, Options{}); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
}
