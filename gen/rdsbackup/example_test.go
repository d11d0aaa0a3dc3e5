package rdsbackup_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

// exampleEndpoint starts the offline fake so that the examples run anywhere; against the
// real service, use https://rds.{region}.myhuaweicloud.com or WithRegion.
func exampleEndpoint() (url string, stop func()) {
	srv, err := fake.New(fake.Config{ProjectID: "97b026aa9cc4417888c14c84a1ad9860", Token: "my-iam-token", AccessKey: "MYACCESSKEY", SecretKey: "my-secret-key"})
	if err != nil {
		log.Fatal(err)
	}
	url, err = srv.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	return url, func() { srv.Close() }
}

// Token authentication: list a backup's files and when their links expire.
func Example_token() {
	endpoint, stop := exampleEndpoint()
	defer stop()

	api, err := rdsbackup.New(
		rdsbackup.WithEndpoint(endpoint), // or rdsbackup.WithRegion("ap-southeast-1")
		rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad9860"),
		rdsbackup.WithToken("my-iam-token"),
	)
	if err != nil {
		log.Fatal(err)
	}
	res, err := api.ShowBackupDownloadLink(context.Background(), fake.DemoPostgresDBLevel)
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range res.Files {
		expires, err := f.LinkExpiredTime.Time()
		fmt.Println(f.Name, f.Size, "KB, link valid:", err == nil && expires.After(time.Now()))
	}
	// Output:
	// 5f0a6bd2_orders.tar.gz 4096 KB, link valid: true
	// 5f0a6bd2_billing.tar.gz 1500 KB, link valid: true
	// 5f0a6bd2_meta.json 1 KB, link valid: true
}

// AK/SK signing (SDK-HMAC-SHA256), and the typed error of a failed call.
func Example_akSK() {
	endpoint, stop := exampleEndpoint()
	defer stop()

	api, err := rdsbackup.New(
		rdsbackup.WithEndpoint(endpoint),
		rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad9860"),
		rdsbackup.WithAKSK("MYACCESSKEY", "my-secret-key", ""), // "" or a security token
		rdsbackup.WithTimeout(10*time.Second),
	)
	if err != nil {
		log.Fatal(err)
	}
	_, err = api.ShowBackupDownloadLink(context.Background(), "no-such-backup")
	var apiErr *rdsbackup.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.RequestID != "")
	}
	// Output:
	// 404 DBS.201010 true
}

// NewFromEnv reads HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID,
// HUAWEICLOUD_SDK_REGION or RDS_ENDPOINT, RDS_AUTH_TOKEN and RDS_CA_FILE.
func ExampleNewFromEnv() {
	endpoint, stop := exampleEndpoint()
	defer stop()
	os.Setenv("RDS_ENDPOINT", endpoint)
	os.Setenv("HUAWEICLOUD_SDK_PROJECT_ID", "97b026aa9cc4417888c14c84a1ad9860")
	os.Setenv("RDS_AUTH_TOKEN", "my-iam-token")

	api, err := rdsbackup.NewFromEnv()
	if err != nil {
		log.Fatal(err)
	}
	res, err := api.ShowBackupDownloadLink(context.Background(), fake.DemoMySQLFull)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(res.Files), res.Bucket)
	// Output:
	// 1 rdsbucket-demo-1
}
