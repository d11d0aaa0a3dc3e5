// Package signer signs HTTP requests with an access key / secret key pair
// (AK/SK) using the provider's API-gateway algorithm SDK-HMAC-SHA256, as
// implemented by the provider's official Go SDK (core/auth/signer), and
// verifies such requests as the gateway does.
//
// The algorithm is the same for every service of the provider, so the
// package is not tied to one API: it signs any *http.Request. It imports only
// the standard library.
//
// Canonical request:
//
//	METHOD \n URI \n QUERY \n HEADERS \n SIGNEDHEADERS \n hex(sha256(body))
//
// String to sign:
//
//	SDK-HMAC-SHA256 \n <X-Sdk-Date> \n hex(sha256(canonical request))
//
// Signature: hex(HMAC-SHA256(secret key, string to sign)), sent as
//
//	Authorization: SDK-HMAC-SHA256 Access=<AK>, SignedHeaders=<names>, Signature=<hex>
//
// Signing a request just before sending it:
//
//	s := &signer.Signer{AccessKey: ak, SecretKey: sk}
//	err := s.Sign(req)
//
// [Verify] is the gateway side: it checks a signed request (date skew, signed
// headers, signature in constant time) and is meant for fakes and tests.
// Every refusal is a *[SignatureError] whose text never holds a secret or a
// signature.
package signer
