// Command rdsbackup lists the files of an RDS backup with their download links' expiry, and
// downloads them safely (resumable .part files, MD5 verification, one run per directory,
// expired links refreshed).
//
//	rdsbackup files    --backup-id ID [--output table|json|raw]
//	rdsbackup download --backup-id ID [--dir DIR] [--parallel N] [--file NAME]... [--force]
//	                   [--checksums FILE] [--output text|json] [--no-wait]
//	rdsbackup --version
//
// The endpoint, project and credentials come from flags or from the environment variables
// of the client package (HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID,
// HUAWEICLOUD_SDK_REGION, RDS_ENDPOINT, RDS_AUTH_TOKEN, RDS_CA_FILE, ...).
//
// Exit status: 0 success, 1 an API or transfer failure, 2 a usage error, 130 interrupted
// (SIGINT), 143 terminated (SIGTERM).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/internal/redact"
	"github.com/rdskit/rdsbackup/internal/version"
)

func main() {
	ctx, stop := signalContext()
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

// signalError is the cause of a run cancelled by a signal.
type signalError struct{ sig syscall.Signal }

func (e *signalError) Error() string { return "interrupted by " + e.sig.String() }

// signalContext returns a context cancelled, with a *signalError cause, by the first SIGINT
// or SIGTERM. A second signal ends the process at once.
func signalContext() (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s, ok := <-sigs
		if !ok {
			return
		}
		sig, _ := s.(syscall.Signal)
		cancel(&signalError{sig})
		if s, ok := <-sigs; ok {
			sig, _ := s.(syscall.Signal)
			os.Exit(128 + int(sig))
		}
	}()
	return ctx, func() { signal.Stop(sigs); close(sigs); cancel(nil) }
}

const usageText = `usage:
  rdsbackup files    --backup-id ID [--output table|json|raw] [connection flags]
  rdsbackup download --backup-id ID [--dir DIR] [--parallel N] [--file NAME]... [--force]
                     [--checksums FILE] [--output text|json] [--no-wait]
                     [--progress auto|bar|lines|none] [connection flags]
  rdsbackup --version

connection flags (each falls back to its environment variable):
  --endpoint URL       RDS_ENDPOINT            full base URL; wins over --region
  --region NAME        HUAWEICLOUD_SDK_REGION  e.g. ap-southeast-1
  --project-id ID      HUAWEICLOUD_SDK_PROJECT_ID
  --ca-file FILE       RDS_CA_FILE             extra trusted CA certificates (PEM)
  --timeout D          RDS_TIMEOUT             per API call, and no-data limit of a download (default 30s)
  --language L         RDS_LANGUAGE            en-us or zh-cn
  --insecure-skip-verify                       do not verify TLS certificates (warns every time)
  --ak AK --sk SK [--security-token T]         HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_SECURITY_TOKEN
  --token T                                    RDS_AUTH_TOKEN (wins over AK/SK)
secrets are best given in the environment (a flag shows in the process list); they never
appear in any output.

exit status: 0 success, 1 API or transfer failure (another download holding --dir with
--no-wait included), 2 usage error, 130 interrupted (SIGINT), 143 terminated (SIGTERM)`

// usageError marks a mistake in the command line or settings (exit status 2).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usageText)
		return 2
	}
	var err error
	switch args[0] {
	case "files":
		err = cmdFiles(ctx, args[1:], stdout, stderr, lookup)
	case "download":
		err = cmdDownload(ctx, args[1:], stdout, stderr, lookup)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usageText)
		return 0
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, version.String("rdsbackup"))
		return 0
	default:
		err = &usageError{fmt.Sprintf("unknown command %q (want files or download)", args[0])}
	}
	return exitStatus(ctx, err, stderr)
}

// exitStatus prints err (one line) and maps it to the exit status.
func exitStatus(ctx context.Context, err error, stderr io.Writer) int {
	var se *signalError
	if errors.As(context.Cause(ctx), &se) && err != nil {
		if !errors.Is(err, errReported) {
			fmt.Fprintln(stderr, "rdsbackup: "+oneLine(err.Error()))
		}
		return 128 + int(se.sig)
	}
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errReported):
		return 1
	}
	fmt.Fprintln(stderr, "rdsbackup: "+oneLine(err.Error()))
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, rdsbackup.ErrInvalidArgument) {
		return 2
	}
	return 1
}

// errReported is returned when the failures were already printed, one line each.
var errReported = errors.New("failures reported")

// oneLine keeps a message to one line with no secret link parameters.
func oneLine(s string) string {
	s = strings.TrimPrefix(s, "rds: ")
	return redact.Text(strings.Join(strings.Fields(s), " "))
}

// parse parses flags, refusing stray arguments. A mistake is one line (the caller prints
// it); -h or --help prints the flags.
func parse(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(out, "usage of rdsbackup %s:\n", fs.Name())
			fs.PrintDefaults()
			return err
		}
		return &usageError{err.Error() + " (see rdsbackup " + fs.Name() + " --help)"}
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func newFlagSet(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}
