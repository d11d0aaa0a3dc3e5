package signer_test

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

// FuzzSignVerify: whatever the path segment, query pair and header value, the
// canonical request equals the reference implementation's, and the signed
// request verifies, as is and after a trip through the wire.
func FuzzSignVerify(f *testing.F) {
	f.Add(testProject, "backup_id", testBackupID, "en-us")
	f.Add("a b+c*~é", "na me", "a+b* ~é/", "  padded\t")
	f.Add("dir%2Ffile", "x;y", "a&b=c", "")
	f.Add("..", "=", "%zz", "\xff\xfe")
	f.Add("", "", "", "\u00a0nbsp\u00a0")
	f.Fuzz(func(t *testing.T, seg, key, value, header string) {
		if !validHeaderValue(header) {
			t.Skip()
		}
		raw := testEndpoint + "/v3/" + url.PathEscape(seg) + "/backup-files?" + url.Values{key: {value}}.Encode()
		req, err := http.NewRequest(http.MethodGet, raw, nil)
		if err != nil {
			t.Skip()
		}
		req.Header.Set("X-Fuzz", header)
		s := &signer.Signer{AccessKey: testAK, SecretKey: testSK, ProjectID: testProject, SecurityToken: header, Now: fixedNow(testTime)}
		if err := s.Sign(req); err != nil {
			t.Fatal(err)
		}
		names := signedHeaderList(t, req.Header.Get("Authorization"))
		got, err := signer.CanonicalRequest(req, names)
		if err != nil {
			t.Fatal(err)
		}
		if ref := refCanonicalRequest(req, names, nil); got != ref {
			t.Fatalf("canonical request differs from the reference\n got %q\nwant %q", got, ref)
		}
		if err := signer.Verify(req, secrets, testTime, 0); err != nil {
			t.Fatalf("Verify(signed request) = %v", err)
		}
		if err := signer.Verify(wire(t, req), secrets, testTime, 0); err != nil {
			t.Fatalf("Verify(request from the wire) = %v", err)
		}
	})
}

// validHeaderValue is a simplified httpguts.ValidHeaderFieldValue.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
