// Command rdsproxy checks the real traffic of any client of the RDS backup-files operation
// (GET /v3/{project_id}/backup-files) against the contract, without changing the client or
// its traffic: every exchange of the operation is validated by the contract engine and logged
// in one line; on stop it writes the suite's reports and, when asked, a redacted cassette.
//
//	rdsproxy --upstream https://rds.REGION.myhuaweicloud.com [--listen 127.0.0.1:9000]
//	rdsproxy --mitm --ca-out proxy-ca.pem [--intercept HOSTPATTERN ...] [--upstream-ca FILE]
//	         [--report DIR] [--record DIR] [--max-exchanges N] [--fail-on failure|warning|never]
//
// When ready it prints exactly one line, "listening on http://HOST:PORT", on standard output;
// the exchanges are logged on standard error. It stops on SIGINT, SIGTERM or after
// --max-exchanges exchanges of the operation, and exits 0 when no exchange failed, 1 when one
// did (see --fail-on), 2 on a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/rdskit/rdsbackup/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return usageFailure(stderr, err)
	}
	if o.showVersion {
		fmt.Fprintln(stdout, version.String("rdsproxy"))
		return 0
	}
	s, err := o.setup(stderr)
	if err != nil {
		return usageFailure(stderr, err)
	}
	return s.serve(ctx, stdout, stderr)
}

// usageFailure prints a command-line mistake on one line and returns the usage exit status, 2.
func usageFailure(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "rdsproxy: "+err.Error())
	return 2
}
