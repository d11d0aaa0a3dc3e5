package redact

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

const sig = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://obs.example.com/b/f?AccessKeyId=AK&Expires=10&Signature=" + sig, "https://obs.example.com/b/f?AccessKeyId=REDACTED&Expires=10&Signature=REDACTED"},
		{"https://h/f?X-Amz-Credential=c&X-Amz-Signature=s&x=1", "https://h/f?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED&x=1"},
		{"https://user:pass@h/f", "https://h/f"},
		{"https://h/f?expires=1", "https://h/f?expires=1"},
		{"not a url ?signature=abc&x=1", "not a url ?signature=REDACTED&x=1"},
		{"plain text", "plain text"},
	}
	for _, tc := range tests {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestHeader(t *testing.T) {
	t.Parallel()
	h := http.Header{"Authorization": {"SDK-HMAC-SHA256 Access=AK, Signature=" + sig}, "X-Auth-Token": {"tok"}, "X-Security-Token": {"sts"}, "Cookie": {"c"}, "X-Request-Id": {"rid"}}
	got := Header(h)
	for _, k := range []string{"Authorization", "X-Auth-Token", "X-Security-Token", "Cookie"} {
		if got.Get(k) != Mask {
			t.Errorf("%s = %q", k, got.Get(k))
		}
	}
	if got.Get("X-Request-Id") != "rid" || h.Get("X-Auth-Token") != "tok" {
		t.Error("Header must keep other headers and not change its input")
	}
}

func TestTextAndPairs(t *testing.T) {
	t.Parallel()
	tests := []string{
		`see https://h/x?Signature=` + sig + ` now`,
		`ftp://h/x?Signature=` + sig,
		`"download_link":"https://h/x?AccessKeyId=AK\u0026Signature=` + sig + `"`,
		`<Message>bad /x?Expires=1&Signature=` + sig + `</Message>`,
		`form: signature=` + sig + `&a=b`,
		`token=` + sig,
	}
	for _, in := range tests {
		got := Text(in)
		if strings.Contains(got, sig) || !strings.Contains(got, Mask) {
			t.Errorf("Text(%q) = %q", in, got)
		}
	}
	if got := Pairs("expires=1&name=x"); got != "expires=1&name=x" {
		t.Errorf("Pairs changed harmless text: %q", got)
	}
	if got := Strings("a SECRET b", "SECRET", ""); got != "a REDACTED b" {
		t.Errorf("Strings = %q", got)
	}
}

func FuzzText(f *testing.F) {
	f.Add("https://h/x?Signature=abc&x=1")
	f.Add("a=b&signature=c")
	f.Fuzz(func(t *testing.T, s string) {
		out := Text(s)
		if strings.Contains(out, "Signature=") && !strings.Contains(out, "Signature="+Mask) && strings.Contains(s, "Signature=x") {
			t.Fatalf("Text(%q) = %q", s, out)
		}
	})
}

func TestCredentials(t *testing.T) {
	t.Parallel()
	h := http.Header{
		"X-Auth-Token":  {"tok-0123456789"},
		"Authorization": {"SDK-HMAC-SHA256 Access=AKEXAMPLE, SignedHeaders=host;x-sdk-date, Signature=abcdef0123"},
		"Cookie":        {"s=1"},
		"Accept":        {"application/json"},
		"X-Empty":       {""},
	}
	got := Credentials(h)
	for _, want := range []string{"tok-0123456789", "AKEXAMPLE", "abcdef0123", "s=1", h.Get("Authorization")} {
		if !slices.Contains(got, want) {
			t.Errorf("Credentials lacks %q: %q", want, got)
		}
	}
	if slices.Contains(got, "application/json") || slices.Contains(got, "host;x-sdk-date") {
		t.Errorf("Credentials holds what is not secret: %q", got)
	}
	if len(Credentials(http.Header{"Accept": {"x"}})) != 0 {
		t.Error("credentials in a request without any")
	}
}
