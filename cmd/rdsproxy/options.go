package main

import (
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/rdskit/rdsbackup/internal/certs"
	"github.com/rdskit/rdsbackup/internal/proxy"
	"github.com/rdskit/rdsbackup/internal/redact"
)

// options is rdsproxy's command line, as parsed.
type options struct {
	listen, upstream, caOut, upstreamCA, reportDir, recordDir, failOn string
	mitm, strict, redactProject, showVersion                          bool
	intercept                                                         patterns
	maxExchanges, maxConns, keep                                      int
	maxBody                                                           int64
	timeout, idleTimeout, maxLinkTTL                                  time.Duration
}

// patterns is a repeatable flag of host patterns.
type patterns []string

func (p *patterns) String() string { return strings.Join(*p, ",") }

func (p *patterns) Set(s string) error {
	if _, err := path.Match(s, "x"); err != nil || s == "" || strings.ContainsAny(s, ":/") {
		return fmt.Errorf("%q is not a host pattern (a host name in path.Match syntax, as *.myhuaweicloud.com; no port, no scheme)", s)
	}
	*p = append(*p, s)
	return nil
}

const usageLine = "usage: rdsproxy (--upstream URL | --mitm [--ca-out FILE] [--intercept HOSTPATTERN ...]) [--listen ADDR] [--upstream-ca FILE] [--report DIR] [--record DIR] [--max-exchanges N] [--fail-on failure|warning|never] [--version]"

// parseFlags parses args. It returns flag.ErrHelp after printing the help for -h on stdout,
// and a one-line error for a mistake.
func parseFlags(args []string, stdout io.Writer) (*options, error) {
	var o options
	fs := flag.NewFlagSet("rdsproxy", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // mistakes are reported in one line, not with the whole usage
	fs.StringVar(&o.listen, "listen", "127.0.0.1:9000", "address to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&o.upstream, "upstream", "", "reverse mode: forward every request to this endpoint (https://rds.REGION.myhuaweicloud.com); clients point their endpoint at the proxy. Token auth only: an AK/SK signature covers the Host header, which a reverse proxy changes; use --mitm for AK/SK clients")
	fs.BoolVar(&o.mitm, "mitm", false, "forward mode: an HTTP proxy (HTTPS_PROXY=http://ADDR) that opens the CONNECT tunnels of the --intercept hosts with certificates of its own CA, so that clients keep their Host and their AK/SK signatures verify upstream")
	fs.StringVar(&o.caOut, "ca-out", "", "with --mitm (required): write the proxy's CA certificate (PEM; never its key) to this file for clients to trust")
	fs.Var(&o.intercept, "intercept", "with --mitm: open only the tunnels to hosts matching this pattern (repeatable; default every host); others are relayed untouched")
	fs.StringVar(&o.upstreamCA, "upstream-ca", "", "PEM file of CA certificates trusted for upstream servers, besides the system's (a private cloud's CA)")
	fs.StringVar(&o.reportDir, "report", "", "on stop, write rdsproxy.junit.xml, rdsproxy.json, rdsproxy.html and coverage.json into this directory")
	fs.StringVar(&o.recordDir, "record", "", "on stop, write the judged exchanges, redacted, as a go-vcr cassette into this directory (replay: RDS_RECORDINGS=DIR make conformance)")
	fs.BoolVar(&o.redactProject, "redact-project", os.Getenv("RDS_REDACT_PROJECT") == "1", "with --record: mask the project ID too (or RDS_REDACT_PROJECT=1)")
	fs.IntVar(&o.maxExchanges, "max-exchanges", 0, "stop after this many exchanges of the operation (0: until SIGINT or SIGTERM)")
	fs.IntVar(&o.keep, "keep", 1000, "memory bound: the reports list the first N exchanges one by one (then only those that did not pass, up to N more; the rest are counted), and the recording keeps the first N")
	fs.StringVar(&o.failOn, "fail-on", "failure", "failure: exit 1 when an exchange failed (or none was judged); warning: also when one only warned; never: always exit 0")
	fs.BoolVar(&o.strict, "strict", os.Getenv("RDS_STRICT") == "1", "undocumented response fields are failures, not warnings (or RDS_STRICT=1)")
	fs.Int64Var(&o.maxBody, "max-body", proxy.DefaultMaxBody, "bytes of a response of the operation kept for validation (larger ones pass through and fail complete_response)")
	fs.IntVar(&o.maxConns, "max-conns", proxy.DefaultMaxConns, "client connections served at once")
	fs.DurationVar(&o.timeout, "timeout", proxy.DefaultHeaderTimeout, "longest wait for the upstream's response headers")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", proxy.DefaultIdleTimeout, "longest silence of the upstream while a response is read")
	fs.DurationVar(&o.maxLinkTTL, "max-link-ttl", 7*24*time.Hour, "longest a download link may stay valid (check link_not_expired)")
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fs.SetOutput(stdout)
		fmt.Fprintln(stdout, usageLine)
		fs.PrintDefaults()
		return nil, err
	case err != nil:
		return nil, fmt.Errorf("%v (rdsproxy --help lists the flags)", err)
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q (rdsproxy --help lists the flags)", fs.Arg(0))
	}
	return &o, o.validate()
}

// validate checks what goes together and the values allowed.
func (o *options) validate() error {
	if o.showVersion {
		return nil
	}
	switch {
	case o.upstream == "" && !o.mitm:
		return errors.New("give --upstream URL (reverse mode) or --mitm (forward mode)")
	case o.upstream != "" && o.mitm:
		return errors.New("--upstream (reverse mode) and --mitm (forward mode) do not go together")
	case o.caOut != "" && !o.mitm:
		return errors.New("--ca-out needs --mitm")
	case o.mitm && o.caOut == "":
		return errors.New("--mitm needs --ca-out FILE: clients must trust the proxy's CA, which exists only in memory")
	case len(o.intercept) > 0 && !o.mitm:
		return errors.New("--intercept needs --mitm")
	case o.failOn != "failure" && o.failOn != "warning" && o.failOn != "never":
		return fmt.Errorf("--fail-on must be failure, warning or never, not %q", o.failOn)
	case o.maxExchanges < 0:
		return errors.New("--max-exchanges must be 0 or more")
	}
	if _, _, err := net.SplitHostPort(o.listen); err != nil {
		return fmt.Errorf("--listen %q is not host:port (127.0.0.1:9000; port 0 picks a free one)", o.listen)
	}
	for name, positive := range map[string]bool{"--max-body": o.maxBody > 0, "--max-conns": o.maxConns > 0, "--keep": o.keep > 0,
		"--timeout": o.timeout > 0, "--idle-timeout": o.idleTimeout > 0, "--max-link-ttl": o.maxLinkTTL > 0} {
		if !positive {
			return fmt.Errorf("%s must be positive", name)
		}
	}
	return nil
}

// upstreamURL parses --upstream.
func (o *options) upstreamURL() (*url.URL, error) {
	if o.upstream == "" {
		return nil, nil
	}
	u, err := url.Parse(o.upstream)
	switch {
	case err == nil && u.User != nil:
		return nil, errors.New("--upstream must not carry user information (user:password@): the proxy forwards the client's own credentials")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, fmt.Errorf("--upstream %q is not an http:// or https:// URL with a host", redact.URL(o.upstream))
	}
	return u, nil
}

// rootCAs is the system's pool plus the certificates of --upstream-ca.
func (o *options) rootCAs() (*x509.CertPool, error) {
	if o.upstreamCA == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(o.upstreamCA)
	if err != nil {
		return nil, fmt.Errorf("--upstream-ca: %w", err)
	}
	pool, ok := certs.SystemPoolWith(pem)
	if !ok {
		return nil, fmt.Errorf("--upstream-ca %s: no PEM certificate in it", o.upstreamCA)
	}
	return pool, nil
}
