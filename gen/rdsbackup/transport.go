package rdsbackup

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"

	"github.com/rdskit/rdsbackup/internal/certs"
)

// newHTTPClients builds the transport stack: TLS settings, retries, redirect policy, timeout
// for API calls; and a client for download links that shares the TLS settings and connection
// pool but has no overall timeout (a large file takes long; stalls are caught by the
// downloader) and no retry layer (the downloader resumes instead).
func newHTTPClients(s *settings, base string) (*http.Client, *http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tlsConf := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.caFile != "" {
		pool, err := loadCAFile(s.caFile)
		if err != nil {
			return nil, nil, err
		}
		tlsConf.RootCAs = pool
	}
	if s.insecure {
		fmt.Fprintf(s.warn, "rdsbackup: WARNING: TLS certificate verification is OFF for %s: anyone on the path can read and change the traffic; use a CA file (RDS_CA_FILE) instead\n", base)
		tlsConf.InsecureSkipVerify = true
	}
	tr.TLSClientConfig = tlsConf
	tr.MaxIdleConnsPerHost = 16
	tr.ResponseHeaderTimeout = s.timeout
	var rt http.RoundTripper = tr
	if s.retries > 0 {
		rt = &retryTransport{next: tr, retries: s.retries, initial: s.retryInitial}
	}
	// The call's timeout is a context deadline set per call (cheaper than Client.Timeout).
	api := &http.Client{Transport: rt, CheckRedirect: sameHostCredentials}
	dl := &http.Client{Transport: tr, CheckRedirect: sameHostCredentials}
	return api, dl, nil
}

// downloadClient returns the client for download links.
func (a *API) downloadClient() *http.Client { return a.download }

// loadCAFile returns the system roots plus the PEM certificates in path.
func loadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, argError("CA file: %v", err)
	}
	pool, ok := certs.SystemPoolWith(pem)
	if !ok {
		return nil, argError("CA file %s holds no PEM certificate", path)
	}
	return pool, nil
}

// credentialHeaders are never sent to a host other than the endpoint's.
var credentialHeaders = []string{"X-Auth-Token", "Authorization", "X-Security-Token", "X-Sdk-Date", "X-Project-Id", "Cookie"}

// sameHostCredentials follows at most 5 redirects, drops Referer from every redirect, and
// strips the credentials from any redirect that leaves the original host (net/http would
// forward X-Auth-Token).
func sameHostCredentials(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("stopped after 5 redirects")
	}
	// net/http sets Referer to the previous URL: a signed link's AccessKeyId and Signature
	// (or the API's URL) would reach the next host. Never sent, same host or not.
	req.Header.Del("Referer")
	if !strings.EqualFold(req.URL.Host, via[0].URL.Host) || req.URL.Scheme != via[0].URL.Scheme {
		for _, h := range credentialHeaders {
			req.Header.Del(h)
		}
	}
	return nil
}
