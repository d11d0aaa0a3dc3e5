package signer

import (
	"net/http"
	"slices"
	"strings"
)

// signedHeaderNames appends to dst the names of the headers Sign signs:
// every header with at least one value, except Content-Type* and names with
// "_". The result is sorted by lower-cased name, one entry per lower-cased
// name (its values are gathered by headerValues).
func signedHeaderNames(h http.Header, dst []string) []string {
	for k, vs := range h {
		if len(vs) == 0 || k == "" || strings.IndexByte(k, '_') >= 0 || hasPrefixFold(k, "content-type") {
			continue
		}
		dst = append(dst, k)
	}
	slices.SortFunc(dst, compareFold)
	return slices.CompactFunc(dst, func(a, b string) bool { return compareFold(a, b) == 0 })
}

// headerValues appends to dst the trimmed values of header name (matched
// ignoring ASCII case, over all keys of req.Header), sorted. "host" is
// req.Host, else req.URL.Host.
func headerValues(req *http.Request, name string, dst []string) []string {
	if compareFold(name, "host") == 0 {
		host := req.Host
		if host == "" && req.URL != nil {
			host = req.URL.Host
		}
		if host == "" {
			return dst
		}
		return append(dst, strings.TrimSpace(host))
	}
	start := len(dst)
	for k, vs := range req.Header {
		if compareFold(k, name) == 0 {
			for _, v := range vs {
				dst = append(dst, strings.TrimSpace(v))
			}
		}
	}
	if len(dst)-start > 1 {
		slices.Sort(dst[start:])
	}
	return dst
}

// appendNameList appends the lower-cased names joined by ";".
func appendNameList(dst []byte, names []string) []byte {
	for i, n := range names {
		if i > 0 {
			dst = append(dst, ';')
		}
		dst = appendLower(dst, n)
	}
	return dst
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func appendLower(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		dst = append(dst, lower(s[i]))
	}
	return dst
}

// compareFold compares a and b as if both were ASCII lower-cased.
func compareFold(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if ca, cb := lower(a[i]), lower(b[i]); ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && compareFold(s[:len(prefix)], prefix) == 0
}

func hasHeader(h http.Header, name string) bool {
	for k, vs := range h {
		if len(vs) > 0 && compareFold(k, name) == 0 {
			return true
		}
	}
	return false
}

// deleteFold deletes every key of h equal to name ignoring ASCII case.
func deleteFold(h http.Header, name string) {
	for k := range h {
		if compareFold(k, name) == 0 {
			delete(h, k)
		}
	}
}

// setHeader sets name (canonical form) to the single value v, removing keys
// that differ from it only in case.
func setHeader(h http.Header, name, v string) {
	deleteFold(h, name)
	h[name] = []string{v}
}
