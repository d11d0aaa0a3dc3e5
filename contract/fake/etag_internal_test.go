package fake

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestObjectMD5ComputedOnceLazily: no object's MD5 is computed before its first request
// (HEAD included), concurrent first requests compute it once, and later ones reuse it.
func TestObjectMD5ComputedOnceLazily(t *testing.T) {
	t.Parallel()
	s, err := New(Config{ProjectID: "p", Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if n := s.etagRuns.Load(); n != 0 {
		t.Fatalf("%d MD5s computed at New", n)
	}
	exp := time.Now().Add(time.Minute).Unix()
	b := s.cfg.Backups[DemoPostgresDBLevel]
	serve := func(method, name string) string {
		req := httptest.NewRequest(method, s.link("", b.Bucket, DemoPostgresDBLevel, name, exp), nil)
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Errorf("%s %s: %d", method, name, w.Code)
		}
		return w.Header().Get("ETag")
	}
	if got, want := serve(http.MethodHead, "5f0a6bd2_meta.json"), strconv.Quote(ETag("5f0a6bd2_meta.json", 1)); got != want {
		t.Fatalf("HEAD ETag %s, want %s", got, want)
	}
	if n := s.etagRuns.Load(); n != 1 {
		t.Fatalf("after one HEAD: %d MD5s computed", n)
	}
	var wg sync.WaitGroup
	tags := make([]string, 8)
	for i := range tags {
		wg.Go(func() {
			method := http.MethodGet
			if i%2 == 0 {
				method = http.MethodHead
			}
			tags[i] = serve(method, "5f0a6bd2_orders.tar.gz")
		})
	}
	wg.Wait()
	for _, tag := range tags {
		if tag != tags[0] || tag == "" {
			t.Fatalf("concurrent first requests disagree: %q", tags)
		}
	}
	serve(http.MethodGet, "5f0a6bd2_meta.json")
	if n := s.etagRuns.Load(); n != 2 {
		t.Fatalf("after 8 concurrent first requests for one object and a repeat: %d MD5s computed, want 2", n)
	}
}

func TestBlockCacheBounded(t *testing.T) {
	t.Parallel()
	c := newBlockCache(4)
	first := c.get("a")
	for i := range 10 {
		c.get(strconv.Itoa(i))
		c.get("a") // kept: most recently used
	}
	if c.len() != 4 {
		t.Fatalf("%d entries, want at most 4", c.len())
	}
	if got := c.get("a"); &got[0] != &first[0] {
		t.Fatal("a recently used block was evicted")
	}
	if got := c.get("0"); &got[0] == &first[0] || string(got) != string(baseBlock("0")) {
		t.Fatal("an evicted block is not derived again")
	}
}
