// Package certs makes a certificate authority in memory and issues TLS server certificates
// from it: rdsfake's --tls certificate and rdsproxy's certificates for the hosts it
// intercepts. The keys are ECDSA P-256, made at start and never written anywhere; only the
// CA certificate leaves the process (PEM), for clients to trust.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"
)

// SystemPoolWith returns the system's roots (an empty pool when they cannot be read) plus the
// PEM certificates in pem, and false when pem holds no certificate: what a client trusts when
// it is given a private CA's file.
func SystemPoolWith(pem []byte) (*x509.CertPool, bool) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	return pool, pool.AppendCertsFromPEM(pem)
}

// maxCached bounds the certificates a CA keeps for ForHost; beyond it the cache starts over.
const maxCached = 1024

// CA is a certificate authority held in memory. Its methods are safe for concurrent use.
type CA struct {
	cert      *x509.Certificate
	der       []byte
	key       *ecdsa.PrivateKey
	leafKey   *ecdsa.PrivateKey // one key for every issued certificate: issuing stays cheap
	notBefore time.Time
	notAfter  time.Time

	mu    sync.Mutex
	cache map[string]*tls.Certificate
}

// NewCA makes a CA named commonName, valid from an hour before now for validity.
func NewCA(commonName string, now time.Time, validity time.Duration) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certs: CA key: %w", err)
	}
	leafKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("certs: server key: %w", err)
	}
	ca := &CA{key: key, leafKey: leafKey, notBefore: now.Add(-time.Hour), notAfter: now.Add(validity), cache: map[string]*tls.Certificate{}}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"rdsbackup"}},
		NotBefore:             ca.notBefore,
		NotAfter:              ca.notAfter,
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	if ca.der, err = x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key); err != nil {
		return nil, fmt.Errorf("certs: CA certificate: %w", err)
	}
	if ca.cert, err = x509.ParseCertificate(ca.der); err != nil {
		return nil, fmt.Errorf("certs: CA certificate: %w", err)
	}
	return ca, nil
}

// serial returns a random 120-bit serial number.
func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// PEM returns the CA certificate (never its key) in PEM.
func (ca *CA) PEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.der})
}

// Pool returns a certificate pool holding only the CA, for clients in tests.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Issue makes a server certificate for hosts (DNS names or IP addresses; the first is its
// common name), valid as long as the CA, with the CA certificate in its chain.
func (ca *CA) Issue(hosts ...string) (*tls.Certificate, error) {
	if len(hosts) == 0 {
		return nil, fmt.Errorf("certs: no host to issue a certificate for")
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    ca.notBefore,
		NotAfter:     ca.notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(strings.Trim(h, "[]")); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &ca.leafKey.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("certs: certificate for %s: %w", hosts[0], err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("certs: certificate for %s: %w", hosts[0], err)
	}
	return &tls.Certificate{Certificate: [][]byte{der, ca.der}, PrivateKey: ca.leafKey, Leaf: leaf}, nil
}

// ForHost returns a certificate for one host name or IP address, issued on its first request
// and kept (up to 1,024 hosts).
func (ca *CA) ForHost(host string) (*tls.Certificate, error) {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	ca.mu.Lock()
	c := ca.cache[host]
	ca.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c, err := ca.Issue(host)
	if err != nil {
		return nil, err
	}
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if len(ca.cache) >= maxCached {
		clear(ca.cache)
	}
	ca.cache[host] = c
	return c, nil
}
