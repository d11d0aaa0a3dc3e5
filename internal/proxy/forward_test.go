package proxy

import (
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/rdskit/rdsbackup/internal/certs"
)

func newCA(t *testing.T) *certs.CA {
	t.Helper()
	ca, err := certs.NewCA("test proxy CA", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// TestForwardIntercepts: an intercepted CONNECT is answered with the proxy CA's certificate
// for the host the client asked for, the request inside keeps its Host, the upstream's
// certificate is verified against RootCAs, and the exchange is handed over.
func TestForwardIntercepts(t *testing.T) {
	t.Parallel()
	upstream, roots := tlsUpstream(t)
	ca := newCA(t)
	px, col, stop := start(t, Config{CA: ca, RootCAs: roots})
	// httptest's certificate names example.com and 127.0.0.1: ask for the IP
	status, body := get(t, client(px, ca.Pool()), upstream.URL+"/v3/p/backup-files?backup_id=x;y")
	host := strings.TrimPrefix(upstream.URL, "https://")
	if status != 200 || body != "host="+host+" uri=/v3/p/backup-files?backup_id=x;y" {
		t.Errorf("got %d %q", status, body)
	}
	// a client that trusts only the upstream's own certificate must refuse the proxy's
	if _, err := client(px, roots).Get(upstream.URL + "/v3/p/backup-files"); err == nil {
		t.Error("an intercepted tunnel was not answered with the proxy's certificate")
	}
	stop()
	exs := col.all()
	if len(exs) != 1 || exs[0].URL != upstream.URL+"/v3/p/backup-files?backup_id=x;y" || exs[0].Host != host || exs[0].StatusCode != 200 {
		t.Fatalf("exchanges %+v", exs)
	}
}

// TestForwardVerifiesUpstream: without the upstream's CA among RootCAs, the proxy refuses
// the upstream (a 502 inside the tunnel), it never skips verification.
func TestForwardVerifiesUpstream(t *testing.T) {
	t.Parallel()
	upstream, _ := tlsUpstream(t)
	ca := newCA(t)
	px, col, stop := start(t, Config{CA: ca, RootCAs: x509.NewCertPool()})
	status, body := get(t, client(px, ca.Pool()), upstream.URL+"/v3/p/backup-files")
	if status != http.StatusBadGateway || !strings.Contains(body, "certificate") {
		t.Errorf("got %d %q, want 502 naming the certificate", status, body)
	}
	stop()
	if exs := col.all(); len(exs) != 1 || exs[0].Err == nil {
		t.Errorf("exchanges %+v", exs)
	}
}

// TestForwardTunnelsOtherHosts: a host outside Intercept is relayed untouched (the client
// sees the upstream's own certificate) and nothing is handed over.
func TestForwardTunnelsOtherHosts(t *testing.T) {
	t.Parallel()
	upstream, roots := tlsUpstream(t)
	px, col, stop := start(t, Config{CA: newCA(t), Intercept: []string{"*.myhuaweicloud.com"}})
	status, body := get(t, client(px, roots), upstream.URL+"/v3/p/backup-files")
	if status != 200 || !strings.Contains(body, "uri=/v3/p/backup-files") {
		t.Errorf("got %d %q", status, body)
	}
	stop()
	if exs := col.all(); len(exs) != 0 {
		t.Errorf("a tunnelled exchange was handed over: %+v", exs)
	}
}

// TestForwardPlainHTTP: an absolute-form http:// request is forwarded with its Host, and
// handed over; an origin-form request to a forward proxy is refused in one line.
func TestForwardPlainHTTP(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("host=" + r.Host + " uri=" + r.RequestURI))
	}))
	defer upstream.Close()
	px, col, stop := start(t, Config{CA: newCA(t)})
	status, body := get(t, client(px, nil), upstream.URL+"/v3/p/backup-files?a=1")
	if status != 200 || body != "host="+strings.TrimPrefix(upstream.URL, "http://")+" uri=/v3/p/backup-files?a=1" {
		t.Errorf("got %d %q", status, body)
	}
	status, body = get(t, http.DefaultClient, px+"/v3/p/backup-files")
	if status != http.StatusBadRequest || !strings.Contains(body, "forward proxy") {
		t.Errorf("origin-form request: %d %q", status, body)
	}
	stop()
	if exs := col.all(); len(exs) != 1 || exs[0].URL != upstream.URL+"/v3/p/backup-files?a=1" {
		t.Errorf("exchanges %+v", exs)
	}
}

// TestReverseRefusesConnect: CONNECT to a reverse proxy is refused, not tunnelled anywhere.
func TestReverseRefusesConnect(t *testing.T) {
	t.Parallel()
	u, _ := url.Parse("http://127.0.0.1:1")
	px, _, _ := start(t, Config{Upstream: u})
	pu, _ := url.Parse(px)
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(pu)}}
	if _, err := c.Get("https://127.0.0.1:1/"); err == nil || !strings.Contains(err.Error(), "Method Not Allowed") {
		t.Errorf("CONNECT to a reverse proxy: %v", err)
	}
}

// TestConfigErrors: a bad upstream or intercept pattern is refused by New.
func TestConfigErrors(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{
		{Upstream: &url.URL{Scheme: "ftp", Host: "h"}},
		{Upstream: &url.URL{Scheme: "https"}},
		{Intercept: []string{"[bad"}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
}

// TestShutdownClosesTunnels: an idle tunnel does not keep Shutdown waiting.
func TestShutdownClosesTunnels(t *testing.T) {
	t.Parallel()
	echo, _ := net.Listen("tcp", "127.0.0.1:0")
	defer echo.Close()
	go func() {
		c, err := echo.Accept()
		if err == nil {
			buf := make([]byte, 1)
			c.Read(buf) // until closed
			c.Close()
		}
	}()
	px, _, stop := start(t, Config{CA: newCA(t), Intercept: []string{"nothing"}})
	conn, err := net.Dial("tcp", strings.TrimPrefix(px, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("CONNECT " + echo.Addr().String() + " HTTP/1.1\r\nHost: " + echo.Addr().String() + "\r\n\r\n"))
	buf := make([]byte, 64)
	if n, _ := conn.Read(buf); !strings.HasPrefix(string(buf[:n]), "HTTP/1.1 200") {
		t.Fatalf("CONNECT answered %q", buf[:n])
	}
	done := make(chan struct{})
	go func() { stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(8 * time.Second):
		t.Fatal("Shutdown waited on an idle tunnel")
	}
}
