package rdsbackup

import (
	"context"
	"errors"
	"net/http"

	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

// TokenAuth returns a RequestEditorFn that authenticates with an IAM token by setting the
// X-Auth-Token header. The editor fails when token is empty.
func TokenAuth(token string) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error {
		if token == "" {
			return errors.New("rds: empty IAM token")
		}
		if req.Header == nil {
			req.Header = make(http.Header)
		}
		req.Header["X-Auth-Token"] = []string{token}
		return nil
	}
}

// AKSKAuth returns a RequestEditorFn that signs each request with s (SDK-HMAC-SHA256; see
// package signer). It is what WithAKSK uses; pass it to the generated client's calls.
func AKSKAuth(s *signer.Signer) RequestEditorFn {
	return func(_ context.Context, req *http.Request) error { return s.Sign(req) }
}
