package rdsbackup_test

import (
	"context"
	"errors"
	"github.com/rdskit/rdsbackup/internal/testutil"
	"testing"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// startFake runs the fake endpoint in process and returns a client of it (AK/SK auth).
func startFake(t *testing.T, cfg fake.Config) (*fake.Server, *rdsbackup.API) {
	t.Helper()
	return testutil.StartFakeAPI(t, cfg)
}

func TestClientAgainstFakeEveryStatus(t *testing.T) {
	t.Parallel()
	_, api := startFake(t, fake.Config{Faults: true})
	url := api.BaseURL()
	tests := []struct {
		name   string
		api    *rdsbackup.API
		id     string
		status int
		code   string
	}{
		{"ok", api, fake.DemoPostgresDBLevel, 200, ""},
		{"unknown backup", api, "nope", 404, "DBS.201010"},
		{"wrong secret", mustAPI(t, url, "97b026aa9cc4417888c14c84a1ad9860", rdsbackup.WithAKSK("AK", "wrong", "")), fake.DemoMySQLFull, 401, "APIG.0301"},
		{"other project", mustAPI(t, url, "0123456789abcdef0123456789abcdef", rdsbackup.WithAKSK(testutil.AccessKey, testutil.SecretKey, "")), fake.DemoMySQLFull, 403, "DBS.280015"},
		{"throttled", api, fake.FaultThrottled, 429, "APIG.0308"},
		{"server failure", api, fake.FaultServerError, 500, "DBS.108000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, err := tc.api.ShowBackupDownloadLink(context.Background(), tc.id)
			if tc.status == 200 {
				if err != nil || len(res.Files) != 3 || res.RequestID == "" {
					t.Fatalf("res %+v err %v", res, err)
				}
				for _, f := range res.Files {
					if err := rdsbackup.CheckTimestamp(f.LinkExpiredTime.String()); err != nil {
						t.Error(err)
					}
				}
				return
			}
			var ae *rdsbackup.APIError
			if !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.Code != tc.code || ae.RequestID == "" {
				t.Fatalf("err %v, want HTTP %d %s with a request id", err, tc.status, tc.code)
			}
		})
	}
}

func mustAPI(t *testing.T, url, project string, opts ...rdsbackup.Option) *rdsbackup.API {
	t.Helper()
	api, err := rdsbackup.New(append([]rdsbackup.Option{rdsbackup.WithEndpoint(url), rdsbackup.WithProjectID(project), rdsbackup.WithRetries(0, 0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return api
}
