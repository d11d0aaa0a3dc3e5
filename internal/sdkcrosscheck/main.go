// Command sdkcrosscheck checks this toolkit against the provider's official Go SDK
// (github.com/huaweicloud/huaweicloud-sdk-go-v3, a 46 MB module kept out of the main module):
//
//  1. requests signed by signer.Signer carry exactly the Authorization header that the
//     SDK's own signer computes for them (paths and queries with odd characters, several
//     values, mixed-case keys, X-Language, X-Security-Token);
//  2. the SDK's ShowBackupDownloadLink, with AK/SK credentials, receives its files from the
//     fake endpoint, and with a wrong secret key receives a proper service error (401 APIG.0301);
//  3. the same call goes through rdsproxy --mitm (cmd/rdsproxy, built from the main module and
//     run as a child process) to the fake over TLS: the SDK's signature verifies upstream
//     (the right key gets its files, a wrong one the fake's 401), the SDK trusts the proxy's
//     CA properly (never IgnoreSSLVerification), and rdsproxy judges both exchanges "pass"
//     and exits 0 (proxy.go).
//
// It is a separate module; run it with `make sdk-crosscheck` (downloads and builds the SDK).
package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	sdksigner "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/sdkerr"
	rds "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rds/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/rds/v3/model"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup/signer"
)

const project = "97b026aa9cc4417888c14c84a1ad9860"

func main() {
	failed := signingVectors()
	if err := sdkAgainstFake(); err != nil {
		fmt.Println("FAIL sdk against rdsfake:", err)
		failed = true
	}
	if err := sdkThroughProxy(); err != nil {
		fmt.Println("FAIL sdk through rdsproxy:", err)
		failed = true
	}
	if failed {
		os.Exit(1)
	}
	fmt.Println("sdkcrosscheck: all checks passed")
	if err := compare(7, 2000); err != nil {
		fmt.Println("FAIL comparison:", err)
		os.Exit(1)
	}
}

func signingVectors() (failed bool) {
	cases := []struct {
		path  string
		query url.Values
		hdr   map[string]string
	}{
		{"/v3/" + project + "/backup-files", url.Values{"backup_id": {"c0c9f155c7b7423a9d30f0175998b63bbr01"}}, nil},
		{"/v3/p1/backup-files", url.Values{"backup_id": {"a b+c/d~e*f"}}, map[string]string{"X-Language": "zh-cn"}},
		{"/v3/p é/backup-files", url.Values{"Zeta": {"1"}, "alpha": {"x"}, "Beta": {"2"}}, map[string]string{"X-Language": "en-us", "User-Agent": "ua/1"}},
		{"/v3/p1/backup-files", url.Values{"backup_id": {"ü", "%2e%2e", "!'()"}}, nil},
	}
	for i, c := range cases {
		u := "https://rds.example.com" + (&url.URL{Path: c.path}).EscapedPath() + "?" + c.query.Encode()
		req, _ := http.NewRequest(http.MethodGet, u, nil)
		for k, v := range c.hdr {
			req.Header.Set(k, v)
		}
		s := &signer.Signer{AccessKey: "AK", SecretKey: "SK", SecurityToken: "STS", ProjectID: "pid",
			Now: func() time.Time { return time.Date(2026, 11, 26, 1, 2, 3, 0, time.UTC) }}
		if err := s.Sign(req); err != nil {
			fmt.Println("FAIL sign:", err)
			return true
		}
		b := request.NewHttpRequestBuilder().WithEndpoint("https://rds.example.com").WithPath(c.path).WithMethod(http.MethodGet)
		for k, vs := range c.query {
			if len(vs) == 1 {
				b = b.AddQueryParam(k, reflect.ValueOf(vs[0]))
			} else {
				b = b.AddQueryParam(k, reflect.ValueOf(vs))
			}
		}
		for k, vs := range req.Header {
			if k != "Authorization" {
				b = b.AddHeaderParam(k, vs[0])
			}
		}
		hdrs, err := sdksigner.Signer{}.Sign(b.Build(), "AK", "SK")
		if err != nil {
			fmt.Println("FAIL sdk sign:", err)
			return true
		}
		if got, want := req.Header.Get("Authorization"), hdrs["Authorization"]; got != want {
			fmt.Printf("FAIL vector %d:\n  ours %s\n  sdk  %s\n", i, got, want)
			failed = true
			continue
		}
		fmt.Printf("ok   vector %d: same Authorization as the SDK's signer\n", i)
	}
	return failed
}

func sdkAgainstFake() error {
	srv, err := fake.New(fake.Config{ProjectID: project, AccessKey: "CROSSAK", SecretKey: "cross-secret"})
	if err != nil {
		return err
	}
	endpoint, err := srv.Start("127.0.0.1:0")
	if err != nil {
		return err
	}
	defer srv.Close()
	call := func(sk string) (*model.ShowBackupDownloadLinkResponse, error) {
		auth, err := basic.NewCredentialsBuilder().WithAk("CROSSAK").WithSk(sk).WithProjectId(project).SafeBuild()
		if err != nil {
			return nil, err
		}
		hc, err := rds.RdsClientBuilder().WithEndpoints([]string{endpoint}).WithCredential(auth).
			WithHttpConfig(config.DefaultHttpConfig().WithRetries(0)).SafeBuild()
		if err != nil {
			return nil, err
		}
		return rds.NewRdsClient(hc).ShowBackupDownloadLink(&model.ShowBackupDownloadLinkRequest{BackupId: fake.DemoPostgresDBLevel})
	}
	resp, err := call("cross-secret")
	if err != nil {
		return fmt.Errorf("right key: %w", err)
	}
	if resp.Files == nil || len(*resp.Files) != 3 || resp.Bucket == nil || *resp.Bucket != "rdsbucket-demo-1" {
		return fmt.Errorf("right key: unexpected answer %s", resp)
	}
	fmt.Printf("ok   SDK ShowBackupDownloadLink with AK/SK received %d files from rdsfake\n", len(*resp.Files))
	_, err = call("wrong-secret")
	var se *sdkerr.ServiceResponseError
	if !errors.As(err, &se) || se.StatusCode != 401 || se.ErrorCode != "APIG.0301" || se.RequestId == "" {
		return fmt.Errorf("wrong key: want a ServiceResponseError 401 APIG.0301 with a request id, got %v", err)
	}
	fmt.Printf("ok   SDK with a wrong secret key received a service error: %d %s (request id %s)\n", se.StatusCode, se.ErrorCode, se.RequestId)
	return nil
}
