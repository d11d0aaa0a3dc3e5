package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

func cmdFiles(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) error {
	fs := newFlagSet("files", stderr)
	var c conn
	c.register(fs)
	backupID := fs.String("backup-id", "", "the backup's ID (required)")
	output := fs.String("output", "table", "table (no links: they are secrets), json (the API's body as received) or raw (status line, headers and body as received, like curl -i)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *backupID == "" {
		return &usageError{"--backup-id is required"}
	}
	if *output != "table" && *output != "json" && *output != "raw" {
		return &usageError{fmt.Sprintf("--output %q: want table, json or raw", *output)}
	}
	api, timeout, err := c.client(lookup, stderr)
	if err != nil {
		return err
	}
	if *output == "raw" {
		return writeRaw(ctx, stdout, api, *backupID, timeout)
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

// errRawStatus is returned after --output raw printed an answer that is not 2xx (exit 1).
type errRawStatus struct{ status string }

func (e errRawStatus) Error() string { return "the endpoint answered " + e.status + " (printed above)" }

// writeRaw sends the call once (the client's retries and TLS settings apply) and prints the
// exchange as received, like curl -i: the status line, the response headers (sorted by name;
// the client's own credentials masked if a server echoes them) and the body, byte for byte.
// Request headers, which hold the credentials, are never printed. A non-2xx answer is printed
// too, and makes the command exit 1.
func writeRaw(ctx context.Context, w io.Writer, api *rdsbackup.API, backupID string, timeout time.Duration) error {
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	rsp, err := api.Generated().ShowBackupDownloadLink(ctx, api.ProjectID(), &rdsbackup.ShowBackupDownloadLinkParams{BackupId: backupID}, api.Authenticate)
	if err != nil {
		return fmt.Errorf("rds: %s", api.Redact(err.Error()))
	}
	defer rsp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(rsp.Body, rdsbackup.DefaultMaxBodySize))
	if err != nil {
		return fmt.Errorf("rds: reading the HTTP %d body: %s", rsp.StatusCode, api.Redact(err.Error()))
	}
	fmt.Fprintf(w, "%s %s\n", rsp.Proto, rsp.Status)
	writeHeaders(w, rsp.Header, api.Redact)
	fmt.Fprintln(w)
	if _, err := w.Write(body); err != nil {
		return err
	}
	if len(body) > 0 && body[len(body)-1] != '\n' {
		fmt.Fprintln(w)
	}
	if rsp.StatusCode < 200 || rsp.StatusCode > 299 {
		return errRawStatus{rsp.Status}
	}
	return nil
}

// writeHeaders prints h sorted by name, one "Name: value" line per value.
func writeHeaders(w io.Writer, h http.Header, mask func(string) string) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s: %s\n", k, mask(v))
		}
	}
}
