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
