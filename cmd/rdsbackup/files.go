package main

import (
	"context"
	"fmt"
	"io"
	"time"
)

func cmdFiles(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) error {
	fs := newFlagSet("files", stderr)
	var c conn
	c.register(fs)
	backupID := fs.String("backup-id", "", "the backup's ID (required)")
	output := fs.String("output", "table", "table (no links: they are secrets) or json (the API's body as received)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *backupID == "" {
		return &usageError{"--backup-id is required"}
	}
	if *output != "table" && *output != "json" {
		return &usageError{fmt.Sprintf("--output %q: want table or json", *output)}
	}
	api, _, err := c.client(lookup, stderr)
	if err != nil {
		return err
	}
	res, err := api.ShowBackupDownloadLink(ctx, *backupID)
	if err != nil {
		return err
	}
	if *output == "json" {
		body := res.Body
		if len(body) == 0 || body[len(body)-1] != '\n' {
			_, err = fmt.Fprintf(stdout, "%s\n", body)
		} else {
			_, err = stdout.Write(body)
		}
		return err
	}
	return writeTable(stdout, res, time.Now())
}
