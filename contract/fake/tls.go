package fake

import (
	"crypto/tls"
	"fmt"
	"time"

	"github.com/rdskit/rdsbackup/internal/certs"
)

// selfSignedTLS makes a CA and a server certificate for 127.0.0.1, ::1 and localhost, valid
// from an hour before now for a week. It returns the server's TLS config and the CA in PEM.
func selfSignedTLS(now time.Time) (*tls.Config, []byte, error) {
	ca, err := certs.NewCA("rdsfake test CA", now, 7*24*time.Hour)
	if err != nil {
		return nil, nil, fmt.Errorf("fake: %w", err)
	}
	cert, err := ca.Issue("localhost", "127.0.0.1", "::1")
	if err != nil {
		return nil, nil, fmt.Errorf("fake: %w", err)
	}
	conf := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{*cert},
		NextProtos:   []string{"http/1.1"},
	}
	return conf, ca.PEM(), nil
}
