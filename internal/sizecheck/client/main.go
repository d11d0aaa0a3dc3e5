// Command client is the client-package half of the binary-size comparison in
// internal/sizecheck: it makes the backup-files call with gen/rdsbackup.
package main

import (
	"context"
	"fmt"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

func main() {
	api, err := rdsbackup.NewFromEnv()
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := api.ShowBackupDownloadLink(context.Background(), "x")
	fmt.Println(res, err)
}
