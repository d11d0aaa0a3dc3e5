package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/rdskit/rdsbackup/contract"
	"github.com/rdskit/rdsbackup/contract/recording"
	"github.com/rdskit/rdsbackup/internal/certs"
	"github.com/rdskit/rdsbackup/internal/proxy"
)

// session is a configured proxy, ready to serve.
type session struct {
	o        *options
	upstream *url.URL // --upstream, parsed; nil in forward mode
	p        *proxy.Proxy
	ca       *certs.CA
	jd       *judge
	rec      *recording.Writer
	stopc    chan struct{}
}

// setup builds the validator, the judge, the recording and the proxy from the options. Every
// error it returns is a usage mistake.
func (o *options) setup(stderr io.Writer) (*session, error) {
	upstream, err := o.upstreamURL()
	if err != nil {
		return nil, err
	}
	roots, err := o.rootCAs()
	if err != nil {
		return nil, err
	}
	for flagName, dir := range map[string]string{"--report": o.reportDir, "--record": o.recordDir} {
		if err := writableDir(dir); err != nil {
			return nil, fmt.Errorf("%s: %w (checked at start, so that nothing judged is lost at the end)", flagName, err)
		}
	}
	v, err := contract.NewValidator(contract.Options{Strict: o.strict, MaxLinkTTL: o.maxLinkTTL})
	if err != nil {
		return nil, err
	}
	s := &session{o: o, upstream: upstream, stopc: make(chan struct{})}
	var once sync.Once
	s.jd = &judge{v: v, log: stderr, maxBody: o.maxBody, max: o.maxExchanges, keep: o.keep, coverage: v.NewCoverage(), caFile: o.upstreamCA != "",
		stop: func() { once.Do(func() { close(s.stopc) }) }}
	if o.reportDir != "" {
		s.jd.coverageFile = filepath.Join(o.reportDir, reportCoverage)
	}
	if o.recordDir != "" {
		name := "rdsproxy-" + time.Now().UTC().Format("20060102-150405")
		if s.rec, err = recording.NewWriter(o.recordDir, name, recording.Options{}); err != nil {
			return nil, err
		}
		abs, err := filepath.Abs(o.recordDir)
		if err != nil {
			return nil, fmt.Errorf("--record: %w", err)
		}
		s.jd.rec, s.jd.recDir, s.jd.redactProject = s.rec, abs, o.redactProject
	}
	if o.mitm {
		if s.ca, err = certs.NewCA("rdsproxy CA", time.Now(), 7*24*time.Hour); err != nil {
			return nil, err
		}
	}
	s.p, err = proxy.New(proxy.Config{
		Upstream: upstream, CA: s.ca, Intercept: o.intercept, RootCAs: roots,
		Watch:      watch,
		OnExchange: s.jd.onExchange,
		OnTunnel:   s.jd.onTunnel,
		MaxBody:    o.maxBody, MaxConns: o.maxConns, HeaderTimeout: o.timeout, IdleTimeout: o.idleTimeout,
		ErrorLog: log.New(stderr, "", log.Ltime),
	})
	return s, err
}

// writableDir makes dir (when not empty) and checks that a file can be written in it.
func writableDir(dir string) error {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".rdsproxy-check-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(f.Name())
}

// watch picks the exchanges to judge: GET /v3/{project_id}/backup-files, as sent (no trailing
// slash, no escaped character in the fixed parts). Other methods and paths are other routes,
// forwarded and not judged: how a client picks its route is not the endpoint's conformance.
func watch(r *http.Request) bool {
	p := r.URL.EscapedPath()
	return r.Method == http.MethodGet && !strings.HasSuffix(p, "/") && recording.IsOperationPath(p)
}

// serve listens, announces itself, serves until ctx ends or enough exchanges were judged,
// then stops, writes the cassette and the reports, and returns the exit status.
func (s *session) serve(ctx context.Context, stdout, stderr io.Writer) int {
	start := time.Now()
	ln, err := net.Listen("tcp", s.o.listen)
	if err != nil {
		s.p.Shutdown(ctx) // never served: this stops its judges
		fmt.Fprintln(stderr, "rdsproxy:", err)
		return 1
	}
	if s.loopsToItself(ln.Addr()) {
		ln.Close()
		s.p.Shutdown(ctx)
		return usageFailure(stderr, fmt.Errorf("--upstream %s is this proxy's own address (--listen): every request would come back to it", s.o.upstream))
	}
	if s.o.caOut != "" {
		if err := os.WriteFile(s.o.caOut, s.ca.PEM(), 0o644); err != nil {
			ln.Close()
			s.p.Shutdown(ctx)
			fmt.Fprintln(stderr, "rdsproxy: writing the CA certificate:", err)
			return 1
		}
	}
	served := make(chan error, 1)
	go func() { served <- s.p.Serve(ln) }()
	s.announce(ln.Addr(), stderr)
	fmt.Fprintf(stdout, "listening on http://%s\n", ln.Addr())
	select {
	case <-ctx.Done():
	case <-s.stopc:
	case err := <-served:
		fmt.Fprintln(stderr, "rdsproxy:", err)
	}
	s.drain(stderr)
	return s.finish(start, stderr)
}

// drain stops the proxy: the requests in flight get up to 10 s to finish, or until a second
// SIGINT or SIGTERM.
func (s *session) drain(stderr io.Writer) {
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	again := make(chan os.Signal, 1)
	signal.Notify(again, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(again)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.p.Shutdown(shutdown)
	}()
	select {
	case <-done:
		return
	case <-time.After(time.Second):
		fmt.Fprintln(stderr, "rdsproxy: stopping: letting the requests in flight finish (at most 10s; interrupt again to stop now)")
	}
	select {
	case <-done:
	case <-again:
		cancel()
		<-done
	}
}

// loopsToItself reports whether --upstream names the address the proxy listens on.
func (s *session) loopsToItself(addr net.Addr) bool {
	u := s.upstream
	if u == nil {
		return false
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	up, err := net.ResolveTCPAddr("tcp", net.JoinHostPort(u.Hostname(), port))
	la, ok := addr.(*net.TCPAddr)
	if err != nil || !ok || up.Port != la.Port {
		return false
	}
	return up.IP.Equal(la.IP) || la.IP.IsUnspecified() && up.IP.IsLoopback()
}

// announce says on stderr what the proxy does, and warns when anyone may use it.
func (s *session) announce(addr net.Addr, stderr io.Writer) {
	if a, ok := addr.(*net.TCPAddr); ok && !a.IP.IsLoopback() {
		fmt.Fprintf(stderr, "rdsproxy: warning: listening on %s, not a loopback address: whoever reaches it can send traffic through it\n", addr)
	}
	switch {
	case s.o.upstream != "":
		fmt.Fprintf(stderr, "rdsproxy: reverse proxy to %s; judging GET /v3/{project_id}/backup-files\n", s.o.upstream)
	case len(s.o.intercept) > 0:
		fmt.Fprintf(stderr, "rdsproxy: forward proxy (HTTPS_PROXY=http://%s), CA certificate in %s, opening the tunnels to %s; judging GET /v3/{project_id}/backup-files\n",
			addr, s.o.caOut, strings.Join(s.o.intercept, ", "))
	default:
		fmt.Fprintf(stderr, "rdsproxy: forward proxy (HTTPS_PROXY=http://%s), CA certificate in %s; judging GET /v3/{project_id}/backup-files\n", addr, s.o.caOut)
	}
}

// finish writes the cassette, the reports and the summary, and returns the exit status.
func (s *session) finish(start time.Time, stderr io.Writer) int {
	status, why := 0, ""
	t := s.jd.tally()
	switch {
	case s.o.failOn == "never":
	case t.total == 0:
		status, why = 1, "no exchange of GET /v3/{project_id}/backup-files went through the proxy: nothing was judged, which never counts as a pass (--fail-on never accepts it)"
	case s.o.failOn == "failure" && t.failed > 0, s.o.failOn == "warning" && t.failed+t.warned > 0:
		status, why = 1, fmt.Sprintf("%d exchange(s) failed and %d warned (--fail-on %s)", t.failed, t.warned, s.o.failOn)
	}
	if s.rec != nil {
		switch {
		case s.rec.Len() == 0:
			fmt.Fprintln(stderr, "rdsproxy: no exchange to record")
		default:
			if err := s.rec.Close(); err != nil {
				fmt.Fprintln(stderr, "rdsproxy:", err)
				status = 1
			} else {
				fmt.Fprintf(stderr, "rdsproxy: recorded %d exchanges in %s\n", s.rec.Len(), s.rec.File())
			}
		}
	}
	if s.o.reportDir != "" {
		if err := s.jd.writeReports(s.o.reportDir, start, time.Now(), status == 0); err != nil {
			fmt.Fprintln(stderr, "rdsproxy:", err)
			status = 1
		}
	}
	s.jd.writeSummary(stderr)
	if why != "" {
		fmt.Fprintln(stderr, "rdsproxy: exit 1: "+why)
	}
	return status
}
