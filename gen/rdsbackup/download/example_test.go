package download_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/gen/rdsbackup/download"
)

// Download a backup's files: NAME.part until the file is complete and its MD5 matches the
// object's, resumed when run again, expired links replaced. Against the real service, build
// the client with rdsbackup.NewFromEnv or rdsbackup.WithRegion instead of the offline fake.
func ExampleDownloader() {
	srv, err := fake.New(fake.Config{ProjectID: "97b026aa9cc4417888c14c84a1ad9860", Token: "my-iam-token"})
	if err != nil {
		log.Fatal(err)
	}
	endpoint, err := srv.Start("127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	api, err := rdsbackup.New(rdsbackup.WithEndpoint(endpoint), rdsbackup.WithProjectID("97b026aa9cc4417888c14c84a1ad9860"), rdsbackup.WithToken("my-iam-token"))
	if err != nil {
		log.Fatal(err)
	}
	dir, _ := os.MkdirTemp("", "backups")
	defer os.RemoveAll(dir)

	d := &download.Downloader{API: api, Dir: dir, Parallel: 2}
	results, err := d.Download(context.Background(), fake.DemoMySQLFull, nil)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range results {
		fmt.Println(r.Name, r.Bytes, r.MD5, r.Verified)
	}
	// Output:
	// 43e4feaab48f11e89039fa163ebaa7e4br01.qp 2870272 3b9bb7ea28e157da083eb594cafc854f true
}
