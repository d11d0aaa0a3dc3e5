package fake_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/rdskit/rdsbackup/contract/fake"
)

// BenchmarkHandler is one valid, token-authenticated request through the fake's handler
// (no network), with request logging on as rdsfake runs it.
func BenchmarkHandler(b *testing.B) {
	srv, err := fake.New(fake.Config{ProjectID: project, Token: "tok", Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		b.Fatal(err)
	}
	h := srv.Handler()
	req := httptest.NewRequest(http.MethodGet, "/v3/"+project+"/backup-files?backup_id="+fake.DemoMySQLFull, nil)
	req.Header.Set("X-Auth-Token", "tok")
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}

// BenchmarkContentSmallFile is what serving a 1 KB file costs in content generation: the
// reader for one request, read whole (the name's block is cached after the first request).
func BenchmarkContentSmallFile(b *testing.B) {
	buf := make([]byte, 1024)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := io.ReadFull(fake.Content("5f0a6bd2_meta.json", 1), buf); err != nil {
			b.Fatal(err)
		}
	}
}
