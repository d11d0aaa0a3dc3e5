package signer

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// SignatureFailure says why Verify refused a request.
type SignatureFailure string

// Reasons of a SignatureError.
const (
	SigMissing       SignatureFailure = "missing-authorization" // no Authorization header
	SigMalformed     SignatureFailure = "malformed"             // unparsable Authorization, X-Sdk-Date or SignedHeaders
	SigUnknownKey    SignatureFailure = "unknown-access-key"    // secretFor does not know the access key
	SigStaleDate     SignatureFailure = "stale-date"            // X-Sdk-Date too far from the verifier's clock
	SigMissingHeader SignatureFailure = "missing-signed-header" // x-sdk-date not signed, or a signed header absent
	SigMismatch      SignatureFailure = "signature-mismatch"    // the signature does not match the request
)

// SignatureError is the error Verify returns. Detail is a short human
// explanation; it never contains the secret key or any signature.
type SignatureError struct {
	Reason SignatureFailure
	Detail string
}

// Error implements error.
func (e *SignatureError) Error() string {
	if e.Detail == "" {
		return "signer: request signature rejected (" + string(e.Reason) + ")"
	}
	return "signer: request signature rejected (" + string(e.Reason) + "): " + e.Detail
}

func fail(reason SignatureFailure, detail string) error {
	return &SignatureError{Reason: reason, Detail: detail}
}

// Verify checks an SDK-HMAC-SHA256 signed request as the provider's gateway
// does: it parses the Authorization header, looks the secret key up with
// secretFor (ok false means an unknown access key), requires x-sdk-date to be
// signed and present, parsable as DateFormat and within maxSkew of now
// (DefaultMaxSkew when maxSkew <= 0), requires every signed header to be
// present ("host" is taken from req.Host, else req.URL.Host), recomputes the
// signature and compares it in constant time. Signed header names must be
// lower case. A body is read to be hashed and replaced by an in-memory copy.
//
// Every refusal is a *SignatureError.
func Verify(req *http.Request, secretFor func(accessKey string) (secretKey string, ok bool), now time.Time, maxSkew time.Duration) error {
	if req == nil || req.URL == nil {
		return fail(SigMalformed, "no request")
	}
	var scratch [8]string
	auths := headerValues(req, headerAuthorization, scratch[:0])
	if len(auths) == 0 || len(auths) == 1 && auths[0] == "" {
		return fail(SigMissing, "no Authorization header")
	}
	if len(auths) > 1 {
		return fail(SigMalformed, "more than one Authorization header")
	}
	accessKey, signedList, got, detail := parseAuthorization(auths[0])
	if detail != "" {
		return fail(SigMalformed, detail)
	}
	var secret string
	ok := false
	if secretFor != nil {
		secret, ok = secretFor(accessKey)
	}
	if !ok || secret == "" {
		return fail(SigUnknownKey, "unknown access key")
	}

	names := strings.Split(signedList, ";")
	if err := checkSignedNames(names); err != nil {
		return err
	}
	date, err := checkDate(req, now, maxSkew)
	if err != nil {
		return err
	}
	for _, n := range names {
		if len(headerValues(req, n, scratch[:0])) == 0 {
			return fail(SigMissingHeader, "signed header "+quoteShort(n)+" is not in the request")
		}
	}

	var canonArr [1024]byte
	canon, err := appendCanonicalRequest(canonArr[:0], req, names)
	if err != nil {
		return fail(SigMalformed, "cannot read the request body: "+err.Error())
	}
	want := signature(secret, date, canon)
	if !hmac.Equal(want[:], got[:]) {
		return fail(SigMismatch, "signature does not match the request")
	}
	return nil
}

// checkSignedNames requires every name of SignedHeaders to be a lower-case
// header token and x-sdk-date to be among them.
func checkSignedNames(names []string) error {
	dateSigned := false
	for _, n := range names {
		if !validName(n) {
			return fail(SigMalformed, "SignedHeaders must list lower-case header names separated by ';'")
		}
		if n == "x-sdk-date" {
			dateSigned = true
		}
	}
	if !dateSigned {
		return fail(SigMissingHeader, "x-sdk-date is not among SignedHeaders")
	}
	return nil
}

// checkDate returns the single X-Sdk-Date value of req (trimmed) once it is
// known to be exactly of the form DateFormat and within maxSkew of now
// (DefaultMaxSkew when maxSkew <= 0).
func checkDate(req *http.Request, now time.Time, maxSkew time.Duration) (string, error) {
	var scratch [8]string
	dates := headerValues(req, headerDate, scratch[:0])
	if len(dates) == 0 {
		return "", fail(SigMissingHeader, "no X-Sdk-Date header")
	}
	if len(dates) > 1 {
		return "", fail(SigMalformed, "more than one X-Sdk-Date header")
	}
	date := strings.TrimSpace(dates[0])
	t, err := time.Parse(DateFormat, date)
	if err != nil || t.Format(DateFormat) != date {
		return "", fail(SigMalformed, "X-Sdk-Date is not of the form "+DateFormat)
	}
	if maxSkew <= 0 {
		maxSkew = DefaultMaxSkew
	}
	skew := now.Sub(t)
	if skew < 0 {
		skew = -skew
	}
	if skew > maxSkew {
		return "", fail(SigStaleDate, "X-Sdk-Date is "+skew.Round(time.Second).String()+" away from the server clock (limit "+maxSkew.String()+")")
	}
	return date, nil
}

// parseAuthorization splits "SDK-HMAC-SHA256 Access=..., SignedHeaders=...,
// Signature=...". detail is non-empty when v is malformed; it never echoes v.
func parseAuthorization(v string) (accessKey, signedHeaders string, sig [sha256.Size]byte, detail string) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(v), Algorithm+" ")
	if !ok {
		return "", "", sig, "Authorization does not use " + Algorithm
	}
	var haveAK, haveSH, haveSig bool
	var sigHex string
	for part := range strings.SplitSeq(rest, ",") {
		k, val, found := strings.Cut(strings.TrimSpace(part), "=")
		if !found {
			return "", "", sig, "Authorization has a part without '='"
		}
		var seen *bool
		switch k {
		case "Access":
			seen, accessKey = &haveAK, val
		case "SignedHeaders":
			seen, signedHeaders = &haveSH, val
		case "Signature":
			seen, sigHex = &haveSig, val
		default:
			return "", "", sig, "Authorization has an unknown part"
		}
		if *seen {
			return "", "", sig, "Authorization repeats a part"
		}
		*seen = true
	}
	switch {
	case !haveAK || accessKey == "":
		return "", "", sig, "Authorization has no Access"
	case !haveSH || signedHeaders == "":
		return "", "", sig, "Authorization has no SignedHeaders"
	case !haveSig:
		return "", "", sig, "Authorization has no Signature"
	}
	if len(sigHex) != hex.EncodedLen(sha256.Size) {
		return "", "", sig, "Signature is not 64 hexadecimal digits"
	}
	if _, err := hex.Decode(sig[:], []byte(sigHex)); err != nil {
		return "", "", sig, "Signature is not 64 hexadecimal digits"
	}
	return accessKey, signedHeaders, sig, ""
}

// validName reports whether n is a non-empty lower-case header token.
func validName(n string) bool {
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// quoteShort quotes a header name for an error detail, cut short so that no
// long token (such as a signature smuggled into SignedHeaders) is echoed.
func quoteShort(n string) string {
	if len(n) > 32 {
		n = n[:32] + "..."
	}
	return `"` + n + `"`
}
