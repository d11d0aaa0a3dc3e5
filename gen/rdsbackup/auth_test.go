package rdsbackup_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

func TestRequestEditorsSetHeaders(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		editor  rdsbackup.RequestEditorFn
		header  string
		want    string // prefix of the header value
		wantErr error
	}{
		{"signer", rdsbackup.AKSKAuth(&signer.Signer{AccessKey: "AccessKey", SecretKey: "SecretKey"}), "Authorization", "SDK-HMAC-SHA256 Access=AccessKey, ", nil},
		{"signer without a secret key", rdsbackup.AKSKAuth(&signer.Signer{AccessKey: "AccessKey"}), "Authorization", "", signer.ErrMissingCredentials},
		{"token", rdsbackup.TokenAuth("MIIT-token"), "X-Auth-Token", "MIIT-token", nil},
		{"empty token", rdsbackup.TokenAuth(""), "X-Auth-Token", "", errors.New("any")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req, _ := http.NewRequest(http.MethodGet, "https://example.huaweicloud.com/v3/p/backup-files?backup_id=b", nil)
			err := tc.editor(context.Background(), req)
			if (err != nil) != (tc.wantErr != nil) || (tc.wantErr == signer.ErrMissingCredentials && !errors.Is(err, signer.ErrMissingCredentials)) {
				t.Fatalf("editor error = %v, want %v", err, tc.wantErr)
			}
			if got := req.Header.Get(tc.header); !strings.HasPrefix(got, tc.want) || (tc.want == "") != (got == "") {
				t.Errorf("%s = %q, want prefix %q", tc.header, got, tc.want)
			}
		})
	}
}
