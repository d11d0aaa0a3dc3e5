package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// collector keeps the exchanges a proxy hands over.
type collector struct {
	mu  sync.Mutex
	exs []*Exchange
}

func (c *collector) add(ex *Exchange) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.exs = append(c.exs, ex)
}

func (c *collector) all() []*Exchange {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]*Exchange(nil), c.exs...)
}

// start serves a proxy with cfg (watching the paths that contain "backup-files") on a free
// loopback port until the test ends, and returns its URL and what it handed over. Shutdown
// runs before the returned collector is read by later assertions via stop.
func start(t *testing.T, cfg Config) (string, *collector, func()) {
	t.Helper()
	col := &collector{}
	if cfg.Watch == nil {
		cfg.Watch = func(r *http.Request) bool { return strings.Contains(r.URL.Path, "backup-files") }
	}
	cfg.OnExchange = col.add
	p, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Serve(ln) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := p.Shutdown(ctx); err != nil {
				t.Errorf("shutdown: %v", err)
			}
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return "http://" + ln.Addr().String(), col, stop
}

// seen is what an upstream received.
type seen struct {
	method, requestURI, host string
	header                   http.Header
	body                     []byte
}

// TestReverseForwardsUnchanged sends odd requests through reverse mode and checks that the
// upstream receives them as sent, and the client the upstream's answer as sent.
func TestReverseForwardsUnchanged(t *testing.T) {
	t.Parallel()
	got := make(chan seen, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- seen{r.Method, r.RequestURI, r.Host, r.Header.Clone(), b}
		h := w.Header()
		h["Set-Cookie"] = []string{"a=1", "b=2"}
		h["X-Odd"] = []string{"  spaced  value "}
		h["Date"] = nil         // no Date: the proxy must not add one
		h["Content-Type"] = nil // no Content-Type: the proxy must not sniff one
		w.WriteHeader(299)
		w.Write([]byte("<html>not json\x00\xff</html>"))
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	px, col, stop := start(t, Config{Upstream: u})

	const rawPath = "/v3/p%2Fq/backup-files;x=1"
	const rawQuery = "backup_id=a%20b&backup_id=c;d&=&x=%ZZ&empty"
	conn, err := net.Dial("tcp", strings.TrimPrefix(px, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := "PATCH " + rawPath + "?" + rawQuery + " HTTP/1.1\r\nHost: client.example\r\nX-Auth-Token: tok\r\n" +
		"X-Forwarded-For: 10.0.0.1\r\nAccept-Encoding: identity\r\nX-Dup: 1\r\nX-Dup: 2\r\nContent-Length: 5\r\n\r\nhello"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	s := <-got
	if s.method != "PATCH" || s.requestURI != rawPath+"?"+rawQuery || string(s.body) != "hello" {
		t.Errorf("upstream got %s %s %q", s.method, s.requestURI, s.body)
	}
	if s.host != u.Host {
		t.Errorf("Host %q, want the upstream's %q in reverse mode", s.host, u.Host)
	}
	for k, want := range map[string][]string{"X-Auth-Token": {"tok"}, "X-Forwarded-For": {"10.0.0.1"}, "Accept-Encoding": {"identity"}, "X-Dup": {"1", "2"}} {
		if fmt.Sprint(s.header[k]) != fmt.Sprint(want) {
			t.Errorf("upstream header %s = %q, want %q", k, s.header[k], want)
		}
	}
	for _, k := range []string{"Via", "X-Forwarded-Host", "X-Forwarded-Proto", "Forwarded"} {
		if v, ok := s.header[k]; ok {
			t.Errorf("the proxy added %s: %q", k, v)
		}
	}
	if resp.StatusCode != 299 || string(body) != "<html>not json\x00\xff</html>" {
		t.Errorf("client got %d %q", resp.StatusCode, body)
	}
	if fmt.Sprint(resp.Header["Set-Cookie"]) != "[a=1 b=2]" || resp.Header.Get("X-Odd") != "spaced  value" {
		t.Errorf("client headers %q", resp.Header)
	}
	for _, k := range []string{"Date", "Content-Type"} {
		if v, ok := resp.Header[k]; ok {
			t.Errorf("the proxy added %s: %q", k, v)
		}
	}
	stop()
	exs := col.all()
	if len(exs) != 1 || exs[0].StatusCode != 299 || string(exs[0].Body) != string(body) || !exs[0].Complete || exs[0].Err != nil {
		t.Fatalf("exchanges %+v", exs)
	}
	if want := upstream.URL + rawPath + "?" + rawQuery; exs[0].URL != want {
		t.Errorf("exchange URL %q, want %q", exs[0].URL, want)
	}
}

// TestStreamsLargeBodiesExactly passes a body far larger than MaxBody, watched and not, and
// checks the client gets every byte while the watched copy stays bounded.
func TestStreamsLargeBodiesExactly(t *testing.T) {
	t.Parallel()
	const size = 4 << 20
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		io.Copy(w, io.LimitReader(&pattern{}, size))
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	px, col, stop := start(t, Config{Upstream: u, MaxBody: 1000})
	want := sha256.Sum256(mustRead(t, io.LimitReader(&pattern{}, size)))
	for _, p := range []string{"/obs/object", "/v3/p/backup-files"} {
		resp, err := http.Get(px + p)
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.New()
		n, _ := io.Copy(h, resp.Body)
		resp.Body.Close()
		if n != size || !bytes.Equal(h.Sum(nil), want[:]) {
			t.Errorf("%s: %d bytes, digest differs: %v", p, n, !bytes.Equal(h.Sum(nil), want[:]))
		}
	}
	stop()
	exs := col.all()
	if len(exs) != 1 || len(exs[0].Body) != 1000 || !exs[0].Truncated || exs[0].BodyBytes != size || !exs[0].Complete {
		t.Fatalf("watched copy: %d exchanges, %+v", len(exs), exs)
	}
}

// pattern is an endless stream of bytes that depend on their offset.
type pattern struct{ off int }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p.off*7 + p.off>>9)
		p.off++
	}
	return len(b), nil
}

func mustRead(t *testing.T, r io.Reader) []byte {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestUpstreamFailures: no answer gives the client a 502 and the exchange an error; a body
// that breaks off reaches the client broken and is reported as such.
func TestUpstreamFailures(t *testing.T) {
	t.Parallel()
	dead, _ := net.Listen("tcp", "127.0.0.1:0")
	deadURL, _ := url.Parse("http://" + dead.Addr().String())
	dead.Close()
	px, col, stop := start(t, Config{Upstream: deadURL})
	resp, err := http.Get(px + "/v3/p/backup-files?token=SECRET-in-query&Signature=SIG")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), "no response from upstream") || strings.Contains(string(b), "SIG") {
		t.Errorf("dead upstream: %d %q", resp.StatusCode, b)
	}
	stop()
	if exs := col.all(); len(exs) != 1 || exs[0].StatusCode != 0 || exs[0].Err == nil || strings.Contains(exs[0].Err.Error(), "SIG") {
		t.Errorf("dead upstream exchange: %+v", exs)
	}

	short := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		w.Write([]byte(`{"files":[`))
		w.(http.Flusher).Flush()
		conn, _, _ := http.NewResponseController(w).Hijack()
		conn.Close()
	}))
	defer short.Close()
	su, _ := url.Parse(short.URL)
	px, col, stop = start(t, Config{Upstream: su})
	resp, err = http.Get(px + "/v3/p/backup-files")
	if err != nil {
		t.Fatalf("the client got no response at all from an upstream that broke off its body: %v", err)
	}
	partial, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err == nil || resp.StatusCode != 200 || string(partial) != `{"files":[` {
		t.Errorf("client got %d %q, %v; want the status and the bytes the upstream sent, then an error", resp.StatusCode, partial, err)
	}
	stop()
	if exs := col.all(); len(exs) != 1 || exs[0].StatusCode != 200 || exs[0].Complete || exs[0].Err == nil || string(exs[0].Body) != `{"files":[` {
		t.Errorf("broken body exchange: %+v", exs)
	}
}

// TestClientGoingAwayIsNotAnUpstreamFailure: a client that stops reading in the middle of a
// body makes an exchange with ErrAborted, whatever the transport says.
func TestClientGoingAwayIsNotAnUpstreamFailure(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"bucket":"b",`)
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	px, col, stop := start(t, Config{Upstream: u})
	c := &http.Client{Timeout: 300 * time.Millisecond}
	if resp, err := c.Get(px + "/v3/p/backup-files"); err == nil {
		io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	stop()
	if exs := col.all(); len(exs) != 1 || !errors.Is(exs[0].Err, ErrAborted) {
		t.Errorf("exchanges %+v, want one with ErrAborted", exs)
	}
}

// TestReverseRefusesProxyRequests: an absolute-form request (a client using the reverse proxy
// as its HTTP proxy) is refused, never sent to the upstream with its credentials.
func TestReverseRefusesProxyRequests(t *testing.T) {
	t.Parallel()
	hit := make(chan string, 1)
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit <- r.Header.Get("X-Auth-Token") }))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	px, _, _ := start(t, Config{Upstream: u})
	status, body := get(t, client(px, nil), "http://other.example:1234/v3/p/backup-files")
	if status != http.StatusBadRequest || !strings.Contains(body, "reverse proxy") {
		t.Errorf("got %d %q", status, body)
	}
	select {
	case <-hit:
		t.Error("a request for another host reached the upstream")
	default:
	}
}

// TestHugeHeadersAreBounded: an upstream answering with headers beyond the limit gets the
// client a 502, not a proxy holding megabytes.
func TestHugeHeadersAreBounded(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Big", strings.Repeat("a", 200<<10))
		w.WriteHeader(200)
	}))
	defer upstream.Close()
	u, _ := url.Parse(upstream.URL)
	px, col, stop := start(t, Config{Upstream: u})
	resp, err := http.Get(px + "/v3/p/backup-files")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status %d, want 502", resp.StatusCode)
	}
	stop()
	if exs := col.all(); len(exs) != 1 || exs[0].Err == nil || !strings.Contains(exs[0].Err.Error(), "header") {
		t.Errorf("exchanges %+v", exs)
	}
}

// tlsUpstream is an HTTPS server that reports the Host it was sent.
func tlsUpstream(t *testing.T) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "host=%s uri=%s", r.Host, r.RequestURI)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return srv, pool
}

// client returns an HTTP client that uses px as its proxy and trusts roots.
func client(px string, roots *x509.CertPool) *http.Client {
	pu, _ := url.Parse(px)
	return &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu), TLSClientConfig: &tls.Config{RootCAs: roots}, DisableKeepAlives: true}}
}

func get(t *testing.T, c *http.Client, u string) (int, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	defer resp.Body.Close()
	return resp.StatusCode, string(mustRead(t, resp.Body))
}
