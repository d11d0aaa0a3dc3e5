package certs

import (
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"
)

func TestIssuedCertificatesVerify(t *testing.T) {
	t.Parallel()
	ca, err := NewCA("test CA", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		hosts []string
		name  string // verified as
		ok    bool
	}{
		{[]string{"rds.example.com"}, "rds.example.com", true},
		{[]string{"localhost", "127.0.0.1", "::1"}, "127.0.0.1", true},
		{[]string{"localhost", "127.0.0.1", "[::1]"}, "::1", true},
		{[]string{"rds.example.com"}, "other.example.com", false},
	}
	for _, tc := range tests {
		c, err := ca.Issue(tc.hosts...)
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Leaf.Verify(x509.VerifyOptions{DNSName: tc.name, Roots: ca.Pool()})
		if (err == nil) != tc.ok {
			t.Errorf("%v as %s: %v, want ok=%v", tc.hosts, tc.name, err, tc.ok)
		}
		if len(c.Certificate) != 2 {
			t.Errorf("%v: chain of %d, want leaf and CA", tc.hosts, len(c.Certificate))
		}
	}
	if _, err := ca.Issue(); err == nil {
		t.Error("a certificate for no host was issued")
	}
}

func TestForHostCachesAndPEMHoldsNoKey(t *testing.T) {
	t.Parallel()
	ca, err := NewCA("test CA", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := ca.ForHost("RDS.example.com.")
	b, _ := ca.ForHost("rds.example.com")
	if a == nil || a != b {
		t.Error("the same host got two certificates")
	}
	rest := ca.PEM()
	n := 0
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n++
		if block.Type != "CERTIFICATE" {
			t.Errorf("PEM holds a %s block", block.Type)
		}
	}
	if n != 1 {
		t.Errorf("PEM holds %d blocks, want the CA certificate only", n)
	}
}
