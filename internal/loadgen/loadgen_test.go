package loadgen

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestRunCountsStatusesBothModes(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte("a"))
			w.(http.Flusher).Flush()
			w.Write([]byte(strings.Repeat("b", 5000)))
		case "/close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "bye")
		case "/missing":
			http.NotFound(w, r)
		default:
			if r.Header.Get("X-Token") != "t" {
				w.WriteHeader(401)
				return
			}
			io.WriteString(w, "ok")
		}
	}))
	defer srv.Close()
	for _, raw := range []bool{false, true} {
		res, err := Run(context.Background(), Config{
			Requests: []Request{
				{Name: "ok", URL: srv.URL + "/", Header: http.Header{"X-Token": {"t"}}, Want: []int{200}},
				{Name: "chunked", URL: srv.URL + "/chunked", Want: []int{200}},
				{Name: "close", URL: srv.URL + "/close", Want: []int{200}},
				{Name: "missing", URL: srv.URL + "/missing", Want: []int{200}}, // counted as unexpected
			},
			Conns: 2, Duration: 5 * time.Second, MaxRequests: 400, Raw: raw,
		})
		if err != nil {
			t.Fatal(err)
		}
		// each connection walks the plan from its own offset: about a quarter are the 404s
		if res.Requests != 400 || res.Errors != 0 || res.Statuses[200]+res.Statuses[404] != 400 ||
			res.Statuses[404] < 95 || res.Statuses[404] > 105 || res.Unexpected != res.Statuses[404] {
			t.Fatalf("raw=%v: %v %v", raw, res, res.FirstErrors)
		}
	}
}

func TestRunRefusesNonLoopback(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://10.0.0.1/", "http://example.com/", "http://192.168.1.1:80/"} {
		if _, err := Run(context.Background(), Config{Requests: []Request{{URL: u}}}); err == nil || !strings.Contains(err.Error(), "not a loopback") {
			t.Errorf("%s: %v", u, err)
		}
	}
}
