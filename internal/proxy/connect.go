package proxy

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// connect serves a CONNECT request (forward mode): the tunnel is opened with a certificate
// of the CA when the host is intercepted, and relayed untouched otherwise.
func (p *Proxy) connect(w http.ResponseWriter, r *http.Request) {
	authority := r.Host
	if _, _, err := net.SplitHostPort(authority); err != nil {
		authority = net.JoinHostPort(strings.Trim(authority, "[]"), "443")
	}
	hostname, _, _ := net.SplitHostPort(authority)
	if hostname == "" {
		plainError(w, http.StatusBadRequest, "rdsproxy: CONNECT needs host:port")
		return
	}
	intercept := p.cfg.CA != nil && p.intercepts(hostname)
	var upstream net.Conn
	if !intercept {
		ctx, cancel := context.WithTimeout(r.Context(), p.cfg.DialTimeout)
		c, err := (&net.Dialer{}).DialContext(ctx, "tcp", authority)
		cancel()
		if err != nil {
			p.cfg.ErrorLog.Printf("rdsproxy: CONNECT %s: %v", authority, err)
			plainError(w, http.StatusBadGateway, "rdsproxy: cannot reach "+authority+": "+oneLine(err.Error()))
			return
		}
		upstream = c
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		if upstream != nil {
			upstream.Close()
		}
		plainError(w, http.StatusInternalServerError, "rdsproxy: cannot take over the connection")
		return
	}
	p.hijacks.Store(conn, struct{}{})
	defer p.hijacks.Delete(conn)
	defer conn.Close()
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		if upstream != nil {
			upstream.Close()
		}
		return
	}
	client := &bufferedConn{Conn: conn, r: brw.Reader}
	if !intercept {
		if p.cfg.OnTunnel != nil {
			p.cfg.OnTunnel(authority)
		}
		p.hijacks.Store(upstream, struct{}{})
		defer p.hijacks.Delete(upstream)
		relay(&idleConn{Conn: client, idle: p.cfg.ClientIdle}, &idleConn{Conn: upstream, idle: p.cfg.ClientIdle})
		return
	}
	p.intercept(client, hostname, authority)
}

// intercepts reports whether the CONNECT tunnels to hostname are opened.
func (p *Proxy) intercepts(hostname string) bool {
	if len(p.cfg.Intercept) == 0 {
		return true
	}
	hostname = strings.ToLower(hostname)
	for _, pat := range p.cfg.Intercept {
		if ok, _ := path.Match(strings.ToLower(pat), hostname); ok {
			return true
		}
	}
	return false
}

// intercept terminates the client's TLS with a certificate for the host it asked for (its
// SNI, or the CONNECT host) and serves the HTTP requests inside as forward-mode requests to
// authority, keeping their Host header.
func (p *Proxy) intercept(client net.Conn, hostname, authority string) {
	tc := tls.Server(client, &tls.Config{
		MinVersion: tls.VersionTLS12,
		NextProtos: []string{"http/1.1"},
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			name := hello.ServerName
			if name == "" {
				name = hostname
			}
			return p.cfg.CA.ForHost(name)
		},
	})
	tc.SetDeadline(time.Now().Add(p.cfg.ClientHeaderTimeout))
	if err := tc.Handshake(); err != nil {
		p.cfg.ErrorLog.Printf("rdsproxy: TLS with the client for %s: %v", hostname, err)
		return
	}
	tc.SetDeadline(time.Time{})
	t := target{scheme: "https", host: authority, keepHost: true}
	srv := p.newServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			plainError(w, http.StatusBadRequest, "rdsproxy: CONNECT inside a tunnel")
			return
		}
		p.forward(w, r, t)
	}))
	p.inner.Store(srv, struct{}{})
	defer p.inner.Delete(srv)
	ln := &oneConnListener{conn: tc, done: make(chan struct{})}
	srv.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateClosed || s == http.StateHijacked {
			ln.Close()
		}
	}
	srv.Serve(ln)
}

// relay copies both ways between a client and an upstream until both directions end.
func relay(a, b *idleConn) {
	var wg sync.WaitGroup
	half := func(dst, src *idleConn) {
		buf := buffers.Get().(*[]byte)
		io.CopyBuffer(dst, src, *buf)
		buffers.Put(buf)
		closeWrite(dst.Conn)
	}
	wg.Go(func() { half(b, a) })
	wg.Go(func() { half(a, b) })
	wg.Wait()
	a.Close()
	b.Close()
}

// closeWrite half-closes c when it can, and closes it otherwise.
func closeWrite(c net.Conn) {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
		return
	}
	c.Close()
}

// bufferedConn reads what the server had already buffered before the connection was taken
// over, then the connection.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

func (c *bufferedConn) Read(b []byte) (int, error) { return c.r.Read(b) }

// CloseWrite half-closes the underlying TCP connection.
func (c *bufferedConn) CloseWrite() error {
	closeWrite(c.Conn)
	return nil
}

// oneConnListener hands one connection to an http.Server, then blocks until closed.
type oneConnListener struct {
	mu   sync.Mutex
	conn net.Conn
	done chan struct{}
	once sync.Once
}

func (l *oneConnListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	c := l.conn
	l.conn = nil
	l.mu.Unlock()
	if c != nil {
		return c, nil
	}
	<-l.done
	return nil, net.ErrClosed
}

func (l *oneConnListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *oneConnListener) Addr() net.Addr { return dummyAddr{} }

type dummyAddr struct{}

func (dummyAddr) Network() string { return "tcp" }
func (dummyAddr) String() string  { return "intercepted" }
