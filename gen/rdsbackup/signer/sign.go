package signer

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"
)

const (
	// Algorithm is the name of the signing algorithm; it starts the
	// Authorization header and the string to sign.
	Algorithm = "SDK-HMAC-SHA256"

	// DateFormat is the time layout of the X-Sdk-Date header (always UTC).
	DateFormat = "20060102T150405Z"

	// DefaultMaxSkew is how far X-Sdk-Date may be from the verifier's clock,
	// the provider gateway's limit. Verify uses it when maxSkew <= 0.
	DefaultMaxSkew = 15 * time.Minute
)

const (
	headerDate          = "X-Sdk-Date"
	headerAuthorization = "Authorization"
	headerProjectID     = "X-Project-Id"
	headerSecurityToken = "X-Security-Token"
	emptyBodySHA256     = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
)

// ErrMissingCredentials is returned by Signer.Sign when the access key or
// the secret key is empty.
var ErrMissingCredentials = errors.New("signer: AK/SK signing needs both an access key and a secret key")

// Signer signs requests with an access key / secret key pair using
// SDK-HMAC-SHA256. A Signer is safe for concurrent use as long as its fields
// are not changed while it signs.
type Signer struct {
	// AccessKey and SecretKey are the AK/SK pair; both are required.
	AccessKey, SecretKey string
	// SecurityToken is the token of temporary credentials; when set it is
	// sent (and signed) as X-Security-Token.
	SecurityToken string
	// ProjectID is sent (and signed) as X-Project-Id when non-empty and the
	// request does not carry that header already.
	ProjectID string
	// Now returns the signing time; nil means time.Now.
	Now func() time.Time
}

// Sign signs req in place. It removes any previous Authorization header,
// sets X-Sdk-Date (from Now, in UTC), X-Project-Id and X-Security-Token (when
// configured), then sets Authorization. Every header in req.Header that has a
// value is signed, except names starting with "Content-Type" and names
// containing "_" (the Host header is not in req.Header, so it is not signed).
// A request body is hashed through req.GetBody when set; a body without
// GetBody is read and replaced by an in-memory copy (and GetBody is set).
// Signing again (a retry) replaces the date and the signature.
//
// Sign returns ErrMissingCredentials (and changes nothing) when the access
// key or the secret key is empty; it never panics on a nil Signer or request.
func (s *Signer) Sign(req *http.Request) error {
	if s == nil || s.AccessKey == "" || s.SecretKey == "" {
		return ErrMissingCredentials
	}
	if req == nil || req.URL == nil {
		return errors.New("signer: cannot sign a nil request or a request without URL")
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	deleteFold(req.Header, headerAuthorization)

	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var dateArr [len(DateFormat)]byte
	date := string(now().UTC().AppendFormat(dateArr[:0], DateFormat))
	setHeader(req.Header, headerDate, date)
	if s.ProjectID != "" && !hasHeader(req.Header, headerProjectID) {
		setHeader(req.Header, headerProjectID, s.ProjectID)
	}
	if s.SecurityToken != "" {
		setHeader(req.Header, headerSecurityToken, s.SecurityToken)
	}

	var nameArr [16]string
	names := signedHeaderNames(req.Header, nameArr[:0])

	var canonArr [1024]byte
	canon, err := appendCanonicalRequest(canonArr[:0], req, names)
	if err != nil {
		return fmt.Errorf("signer: reading the request body to sign it: %w", err)
	}
	sig := signature(s.SecretKey, date, canon)

	var authArr [256]byte
	auth := append(authArr[:0], Algorithm+" Access="...)
	auth = append(auth, s.AccessKey...)
	auth = append(auth, ", SignedHeaders="...)
	auth = appendNameList(auth, names)
	auth = append(auth, ", Signature="...)
	auth = hex.AppendEncode(auth, sig[:])
	req.Header[headerAuthorization] = []string{string(auth)}
	return nil
}

// signature returns HMAC-SHA256(secret, string to sign) for the canonical
// request canon signed at date (formatted as DateFormat).
func signature(secret, date string, canon []byte) [sha256.Size]byte {
	sum := sha256.Sum256(canon)
	var stsArr [len(Algorithm) + 1 + len(DateFormat) + 1 + 2*sha256.Size]byte
	sts := append(stsArr[:0], Algorithm...)
	sts = append(sts, '\n')
	sts = append(sts, date...)
	sts = append(sts, '\n')
	sts = hex.AppendEncode(sts, sum[:])
	return hmacSHA256(secret, sts)
}

// hmacSHA256 is HMAC-SHA256 (RFC 2104) computed with sha256.Sum256 over stack
// buffers: H((K^opad) || H((K^ipad) || msg)). It equals crypto/hmac's result
// (tested) without its eight allocations per call.
func hmacSHA256(key string, msg []byte) [sha256.Size]byte {
	const blockSize = 64 // sha256.BlockSize
	var k [blockSize]byte
	if len(key) > blockSize {
		h := sha256.Sum256([]byte(key))
		copy(k[:], h[:])
	} else {
		copy(k[:], key)
	}
	var innerArr [blockSize + 128]byte
	inner := innerArr[:blockSize]
	for i, c := range k {
		inner[i] = c ^ 0x36
	}
	inner = append(inner, msg...)
	innerSum := sha256.Sum256(inner)

	var outer [blockSize + sha256.Size]byte
	for i, c := range k {
		outer[i] = c ^ 0x5c
	}
	copy(outer[blockSize:], innerSum[:])
	return sha256.Sum256(outer[:])
}
