package signer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// HeaderContentSha256 is the header whose value, when present, stands for the body hash in
// the canonical request (the provider's SDK sets it to UNSIGNED-PAYLOAD for non-JSON bodies).
const HeaderContentSha256 = "X-Sdk-Content-Sha256"

// CanonicalRequest returns the SDK-HMAC-SHA256 canonical request of req for
// the given signed header names (written lower-cased, in the order given).
// The value of "host" is req.Host, or req.URL.Host when req.Host is empty.
// Like Sign it may read the body (see Signer.Sign) to hash it.
func CanonicalRequest(req *http.Request, signedHeaders []string) (string, error) {
	if req == nil || req.URL == nil {
		return "", errors.New("signer: nil request or request without URL")
	}
	b, err := appendCanonicalRequest(nil, req, signedHeaders)
	return string(b), err
}

// appendCanonicalRequest appends the canonical request of req to dst.
func appendCanonicalRequest(dst []byte, req *http.Request, names []string) ([]byte, error) {
	method := req.Method
	if method == "" {
		method = http.MethodGet // what net/http sends for an empty Method
	}
	dst = append(dst, method...)
	dst = append(dst, '\n')
	dst = appendCanonicalURI(dst, req.URL.Path)
	dst = append(dst, '\n')
	dst = appendCanonicalQuery(dst, req.URL.RawQuery)
	dst = append(dst, '\n')

	var valArr [8]string
	lines := 0
	for _, n := range names {
		for _, v := range headerValues(req, n, valArr[:0]) {
			dst = appendLower(dst, n)
			dst = append(dst, ':')
			dst = append(dst, v...)
			dst = append(dst, '\n')
			lines++
		}
	}
	if lines == 0 {
		dst = append(dst, '\n') // the SDK writes strings.Join(lines, "\n") + "\n"
	}
	dst = append(dst, '\n')
	dst = appendNameList(dst, names)
	dst = append(dst, '\n')
	return appendBodyHash(dst, req)
}

// appendCanonicalURI escapes each "/"-separated segment of the decoded path
// and makes sure the result ends with "/".
func appendCanonicalURI(dst []byte, path string) []byte {
	start := len(dst)
	for i := 0; i < len(path); i++ {
		if c := path[i]; c == '/' {
			dst = append(dst, '/')
		} else {
			dst = appendEscapedByte(dst, c)
		}
	}
	if len(dst) == start || dst[len(dst)-1] != '/' {
		dst = append(dst, '/')
	}
	return dst
}

type queryPair struct{ k, v string }

// appendCanonicalQuery appends the decoded query pairs of rawQuery, sorted by
// key then value, as escape(k)=escape(v) joined by "&". It decodes exactly as
// url.ParseQuery (pairs that ParseQuery drops are dropped), without building a
// map for small queries.
func appendCanonicalQuery(dst []byte, rawQuery string) []byte {
	if rawQuery == "" {
		return dst
	}
	var pairArr [32]queryPair
	pairs := pairArr[:0]
	if strings.Count(rawQuery, "&") < len(pairArr) {
		pairs = appendQueryPairs(pairs, rawQuery)
	} else {
		values, _ := url.ParseQuery(rawQuery) // also applies net/url's parameter limit
		for k, vs := range values {
			for _, v := range vs {
				pairs = append(pairs, queryPair{k, v})
			}
		}
	}
	slices.SortFunc(pairs, func(a, b queryPair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	for i, p := range pairs {
		if i > 0 {
			dst = append(dst, '&')
		}
		dst = appendEscaped(dst, p.k)
		dst = append(dst, '=')
		dst = appendEscaped(dst, p.v)
	}
	return dst
}

// appendQueryPairs appends the decoded pairs of rawQuery in their order,
// dropping those url.ParseQuery drops (empty, with ';', badly escaped).
func appendQueryPairs(pairs []queryPair, rawQuery string) []queryPair {
	for q := rawQuery; q != ""; {
		var kv string
		kv, q, _ = strings.Cut(q, "&")
		if kv == "" || strings.IndexByte(kv, ';') >= 0 {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		v, err = url.QueryUnescape(v)
		if err != nil {
			continue
		}
		pairs = append(pairs, queryPair{k, v})
	}
	return pairs
}

const upperHex = "0123456789ABCDEF"

func appendEscapedByte(dst []byte, c byte) []byte {
	if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~' {
		return append(dst, c)
	}
	return append(dst, '%', upperHex[c>>4], upperHex[c&15])
}

// appendEscaped keeps A-Z a-z 0-9 - _ . ~ and writes every other byte as %XX
// (upper-case hex).
func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		dst = appendEscapedByte(dst, s[i])
	}
	return dst
}

// appendBodyHash appends hex(sha256(body)), or the value of X-Sdk-Content-Sha256 when the
// request carries one, as the provider's reference signer does.
func appendBodyHash(dst []byte, req *http.Request) ([]byte, error) {
	if v := req.Header.Get(HeaderContentSha256); v != "" {
		return append(dst, v...), nil
	}
	var rc io.ReadCloser
	switch {
	case req.GetBody != nil:
		b, err := req.GetBody()
		if err != nil {
			return dst, err
		}
		rc = b
	case req.Body != nil && req.Body != http.NoBody:
		data, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return dst, err
		}
		req.Body = io.NopCloser(bytes.NewReader(data))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		sum := sha256.Sum256(data)
		return hex.AppendEncode(dst, sum[:]), nil
	default:
		return append(dst, emptyBodySHA256...), nil
	}
	if rc == nil || rc == http.NoBody {
		return append(dst, emptyBodySHA256...), nil
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return dst, err
	}
	var sum [sha256.Size]byte
	return hex.AppendEncode(dst, h.Sum(sum[:0])), nil
}
