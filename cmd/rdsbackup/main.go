// Command rdsbackup lists the files of an RDS backup with their download links' expiry, and
// downloads them safely (resumable .part files, size checks, expired links refreshed).
//
//	rdsbackup files    --backup-id ID [--output table|json]
//	rdsbackup download --backup-id ID [--dir DIR] [--parallel N] [--file NAME]... [--force]
//
// The endpoint, project and credentials come from flags or from the environment variables
// of the client package (HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK, HUAWEICLOUD_SDK_PROJECT_ID,
// HUAWEICLOUD_SDK_REGION, RDS_ENDPOINT, RDS_AUTH_TOKEN, RDS_CA_FILE, ...).
//
// Exit status: 0 success, 1 an API or transfer failure, 2 a usage error.
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
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
	"github.com/rdskit/rdsbackup/internal/redact"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv))
}

const usageText = `usage:
  rdsbackup files    --backup-id ID [--output table|json] [connection flags]
  rdsbackup download --backup-id ID [--dir DIR] [--parallel N] [--file NAME]... [--force] [connection flags]

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

exit status: 0 success, 1 API or transfer failure, 2 usage error`

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
	default:
		err = &usageError{fmt.Sprintf("unknown command %q (want files or download)", args[0])}
	}
	if err == nil {
		return 0
	}
	var ue *usageError
	if errors.As(err, &ue) || errors.Is(err, rdsbackup.ErrInvalidArgument) || errors.Is(err, flag.ErrHelp) {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "rdsbackup: "+oneLine(err.Error()))
		}
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fmt.Fprintln(stderr, "rdsbackup: "+oneLine(err.Error()))
	return 1
}

// oneLine keeps a message to one line with no secret link parameters.
func oneLine(s string) string {
	s = strings.TrimPrefix(s, "rds: ")
	return redact.Text(strings.Join(strings.Fields(s), " "))
}

// conn holds the connection flags shared by the commands.
type conn struct {
	endpoint, region, project, caFile, language string
	ak, sk, securityToken, token                string
	timeout                                     time.Duration
	insecure                                    bool
}

func (c *conn) register(fs *flag.FlagSet) {
	fs.StringVar(&c.endpoint, "endpoint", "", "endpoint base URL (env RDS_ENDPOINT)")
	fs.StringVar(&c.region, "region", "", "region (env HUAWEICLOUD_SDK_REGION)")
	fs.StringVar(&c.project, "project-id", "", "project ID (env HUAWEICLOUD_SDK_PROJECT_ID)")
	fs.StringVar(&c.caFile, "ca-file", "", "PEM file of extra trusted CAs (env RDS_CA_FILE)")
	fs.StringVar(&c.language, "language", "", "X-Language: en-us or zh-cn (env RDS_LANGUAGE)")
	fs.DurationVar(&c.timeout, "timeout", 0, "per API call; also the no-data limit of a download (env RDS_TIMEOUT, default 30s)")
	fs.BoolVar(&c.insecure, "insecure-skip-verify", false, "do not verify TLS certificates (unsafe; warns)")
	fs.StringVar(&c.ak, "ak", "", "access key (env HUAWEICLOUD_SDK_AK)")
	fs.StringVar(&c.sk, "sk", "", "secret key (env HUAWEICLOUD_SDK_SK; a flag is visible to other users of the machine: prefer the variable)")
	fs.StringVar(&c.securityToken, "security-token", "", "security token of temporary credentials (env HUAWEICLOUD_SDK_SECURITY_TOKEN)")
	fs.StringVar(&c.token, "token", "", "IAM token (env RDS_AUTH_TOKEN; prefer the variable)")
}

// client builds the API client: environment first, flags over it.
func (c *conn) client(lookup func(string) (string, bool), stderr io.Writer) (*rdsbackup.API, time.Duration, error) {
	opts, err := rdsbackup.EnvOptions(lookup)
	if err != nil {
		return nil, 0, err
	}
	if c.region != "" {
		// --region on the command line wins over RDS_ENDPOINT in the environment.
		opts = append(opts, rdsbackup.WithRegion(c.region), rdsbackup.WithEndpoint(""))
	}
	if c.endpoint != "" {
		opts = append(opts, rdsbackup.WithEndpoint(c.endpoint))
	}
	if c.project != "" {
		opts = append(opts, rdsbackup.WithProjectID(c.project))
	}
	if c.caFile != "" {
		opts = append(opts, rdsbackup.WithCAFile(c.caFile))
	}
	if c.ak != "" || c.sk != "" {
		ak, sk := c.ak, c.sk
		if ak == "" {
			ak, _ = lookup(rdsbackup.EnvAccessKey)
		}
		if sk == "" {
			sk, _ = lookup(rdsbackup.EnvSecretKey)
		}
		st := c.securityToken
		if st == "" {
			st, _ = lookup(rdsbackup.EnvSecurityToken)
		}
		opts = append(opts, rdsbackup.WithToken(""), rdsbackup.WithAKSK(ak, sk, st))
	}
	if c.token != "" {
		opts = append(opts, rdsbackup.WithToken(c.token))
	}
	if c.sk != "" || c.token != "" || c.securityToken != "" {
		fmt.Fprintln(stderr, "rdsbackup: warning: a secret given as a flag is visible in the process list; prefer the environment variables")
	}
	if c.language != "" {
		opts = append(opts, rdsbackup.WithLanguage(c.language))
	}
	timeout := rdsbackup.DefaultTimeout
	if v, ok := lookup(rdsbackup.EnvTimeout); ok && v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			timeout = d
		}
	}
	if c.timeout < 0 {
		return nil, 0, &usageError{"--timeout must not be negative"}
	}
	if c.timeout > 0 {
		timeout = c.timeout
		opts = append(opts, rdsbackup.WithTimeout(c.timeout))
	}
	if c.insecure {
		fmt.Fprintln(stderr, "rdsbackup: WARNING: --insecure-skip-verify: TLS certificates are not verified; anyone on the path can read the links and the files")
		opts = append(opts, rdsbackup.WithInsecureSkipVerify())
	}
	api, err := rdsbackup.New(opts...)
	return api, timeout, err
}

// parse parses flags, refusing stray arguments.
func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{err.Error()}
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

func cmdDownload(ctx context.Context, args []string, stdout, stderr io.Writer, lookup func(string) (string, bool)) error {
	fs := newFlagSet("download", stderr)
	var c conn
	c.register(fs)
	backupID := fs.String("backup-id", "", "the backup's ID (required)")
	dir := fs.String("dir", ".", "directory to write the files into (created if missing)")
	parallel := fs.Int("parallel", 2, "files downloaded at once")
	force := fs.Bool("force", false, "download again files that are already complete")
	var only []string
	fs.Func("file", "download only this file (repeat for several)", func(s string) error {
		only = append(only, s)
		return nil
	})
	progress := fs.String("progress", "auto", "auto (a bar on a terminal, lines otherwise), bar, lines or none")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *backupID == "" {
		return &usageError{"--backup-id is required"}
	}
	if *parallel < 1 || *parallel > 64 {
		return &usageError{"--parallel must be between 1 and 64"}
	}
	api, timeout, err := c.client(lookup, stderr)
	if err != nil {
		return err
	}
	mode := *progress
	if mode == "auto" {
		mode = "lines"
		if isTerminal(stderr) {
			mode = "bar"
		}
	}
	if mode != "bar" && mode != "lines" && mode != "none" {
		return &usageError{fmt.Sprintf("--progress %q: want auto, bar, lines or none", *progress)}
	}
	d := &rdsbackup.Downloader{
		API:        api,
		Dir:        *dir,
		Parallel:   *parallel,
		Force:      *force,
		StallAfter: timeout,
		Log: func(format string, args ...any) {
			fmt.Fprintln(stderr, "rdsbackup: "+oneLine(fmt.Sprintf(format, args...)))
		},
		NewProgress: newProgress(mode, stderr),
	}
	results, err := d.Download(ctx, *backupID, only)
	for _, r := range results {
		switch {
		case r.Err != nil:
		case r.Skipped:
			fmt.Fprintf(stdout, "%s\talready complete (%s); not downloaded again without --force\n", printable(r.Path), humanBytes(r.Bytes))
		default:
			how := "downloaded"
			if r.Resumed {
				how = "resumed and completed"
			}
			fmt.Fprintf(stdout, "%s\t%s (%s)\n", printable(r.Path), how, humanBytes(r.Bytes))
		}
	}
	if err != nil && errors.Is(err, context.Canceled) {
		return fmt.Errorf("interrupted; partial files (*.part) are kept and the same command resumes them: %w", err)
	}
	return err
}
