// Command rdsfake runs an offline endpoint that behaves like the provider's RDS
// backup-files operation (GET /v3/{project_id}/backup-files), for tests, CI and demos.
//
//	rdsfake --listen 127.0.0.1:8080 --project-id P [--ak AK --sk SK] [--token T]
//	        [--backups FILE] [--link-ttl 5m] [--tls --ca-out FILE] [--faults]
//	        [--object-etag md5|multipart|none]
//	        [--log-format text|json|none] [--log-level info|warn|error]
//
// When ready it prints exactly one line, "listening on http://HOST:PORT", on standard output;
// requests are logged on standard error. See the package contract/fake for the behaviour.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/rdskit/rdsbackup/contract/fake"
	"github.com/rdskit/rdsbackup/internal/version"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole command; it returns the exit status (0 ok, 1 failure, 2 usage).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		return usageFailure(stderr, err)
	}
	if o.showVersion {
		fmt.Fprintln(stdout, version.String("rdsfake"))
		return 0
	}
	cfg, err := o.config(stderr)
	if err != nil {
		return usageFailure(stderr, err)
	}
	srv, err := fake.New(cfg)
	if err != nil {
		return usageFailure(stderr, err)
	}
	return serve(ctx, srv, cfg, o.listen, o.caOut, stdout, stderr)
}

// options is rdsfake's command line, as parsed.
type options struct {
	listen, project, ak, sk, token, backups string
	ttl                                     time.Duration
	useTLS                                  bool
	caOut                                   string
	faults                                  bool
	objectETag, logFormat, logLevel         string
	showVersion                             bool
}

// errReported is a command-line error the flag package has already printed, with the usage.
var errReported = errors.New("reported")

// usageFailure prints a command-line mistake (unless the flag package already did) and
// returns the usage exit status, 2.
func usageFailure(stderr io.Writer, err error) int {
	if !errors.Is(err, errReported) {
		fmt.Fprintln(stderr, "rdsfake: "+err.Error())
	}
	return 2
}

// parseFlags parses args into options. It returns flag.ErrHelp for -h, errReported for a
// mistake the flag package printed itself, and another error for a stray argument.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	var o options
	fs := flag.NewFlagSet("rdsfake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.listen, "listen", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	fs.StringVar(&o.project, "project-id", "", "the project ID the fake serves (required)")
	fs.StringVar(&o.ak, "ak", "", "access key accepted for SDK-HMAC-SHA256 signatures")
	fs.StringVar(&o.sk, "sk", "", "secret key of --ak (or set RDSFAKE_SK to keep it out of the process list)")
	fs.StringVar(&o.token, "token", "", "X-Auth-Token accepted (or set RDSFAKE_TOKEN)")
	fs.StringVar(&o.backups, "backups", "", "JSON file mapping backup_id to {bucket, files:[{name, size, database_name}]} (default: a built-in demo set)")
	fs.DurationVar(&o.ttl, "link-ttl", 5*time.Minute, "how long download links stay valid")
	fs.BoolVar(&o.useTLS, "tls", false, "serve HTTPS with a certificate for 127.0.0.1 and localhost made at start")
	fs.StringVar(&o.caOut, "ca-out", "", "with --tls: write the CA certificate (PEM) to this file, for RDS_CA_FILE")
	fs.BoolVar(&o.faults, "faults", false, "answer backup_id fault-429 with 429 and fault-500 with 500")
	fs.StringVar(&o.objectETag, "object-etag", "md5", `ETag of the files behind the links: md5 (the content's MD5), multipart ("<md5>-3", not the content's MD5) or none`)
	fs.StringVar(&o.logFormat, "log-format", "text", "request log format on standard error: text, json or none")
	fs.StringVar(&o.logLevel, "log-level", "info", "info (every request), warn or error")
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: rdsfake --project-id P [--listen ADDR] [--ak AK --sk SK] [--token T] [--backups FILE] [--link-ttl D] [--tls --ca-out FILE] [--faults] [--object-etag md5|multipart|none] [--version]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, errReported
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return &o, nil
}

// config checks the options (taking the secrets from the environment when the flags leave
// them out) and turns them into the fake's configuration, with its request logger on stderr
// and the backups file loaded. Every error it returns is a usage mistake.
func (o *options) config(stderr io.Writer) (fake.Config, error) {
	if o.sk == "" {
		o.sk = os.Getenv("RDSFAKE_SK")
	}
	if o.token == "" {
		o.token = os.Getenv("RDSFAKE_TOKEN")
	}
	if err := o.validate(); err != nil {
		return fake.Config{}, err
	}
	logger, err := newLogger(stderr, o.logFormat, o.logLevel)
	if err != nil {
		return fake.Config{}, err
	}
	cfg := fake.Config{ProjectID: o.project, AccessKey: o.ak, SecretKey: o.sk, Token: o.token, LinkTTL: o.ttl, Faults: o.faults, Logger: logger, TLS: o.useTLS,
		ObjectETag: fake.ObjectETagMode(o.objectETag)}
	if o.backups != "" {
		if cfg.Backups, err = loadBackups(o.backups); err != nil {
			return fake.Config{}, err
		}
	}
	return cfg, nil
}

// validate checks the options that must be given, go together or take only some values.
func (o *options) validate() error {
	switch {
	case o.project == "":
		return errors.New("--project-id is required")
	case (o.ak == "") != (o.sk == ""):
		return errors.New("--ak and --sk go together")
	case o.caOut != "" && !o.useTLS:
		return errors.New("--ca-out needs --tls")
	case o.ttl <= 0:
		return errors.New("--link-ttl must be positive")
	case !fake.ObjectETagMode(o.objectETag).Valid():
		return errors.New("--object-etag must be md5, multipart or none")
	}
	return nil
}

// newLogger makes the request logger on stderr from --log-format and --log-level.
func newLogger(stderr io.Writer, format, levelName string) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(levelName)); err != nil {
		return nil, errors.New("--log-level must be info, warn or error")
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(stderr, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(stderr, hopts)), nil
	case "none":
		return slog.New(slog.DiscardHandler), nil
	}
	return nil, errors.New("--log-format must be text, json or none")
}

// loadBackups reads the --backups file.
func loadBackups(path string) (map[string]fake.Backup, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	backups, err := fake.LoadBackups(f)
	f.Close()
	if err != nil {
		return nil, errors.New(path + ": " + err.Error())
	}
	return backups, nil
}

// serve starts srv on listen, writes the CA certificate to caOut if asked, announces the
// address on stdout and serves until ctx ends, then shuts down. It returns the exit status.
func serve(ctx context.Context, srv *fake.Server, cfg fake.Config, listen, caOut string, stdout, stderr io.Writer) int {
	url, err := srv.Start(listen)
	if err != nil {
		fmt.Fprintln(stderr, "rdsfake:", err)
		return 1
	}
	if caOut != "" {
		if err := os.WriteFile(caOut, srv.CACertPEM(), 0o644); err != nil {
			fmt.Fprintln(stderr, "rdsfake: writing CA certificate:", err)
			srv.Close()
			return 1
		}
	}
	logStartup(cfg)
	fmt.Fprintf(stdout, "listening on %s\n", url)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	return 0
}

// logStartup logs which backups are served and warns when no credentials are required.
func logStartup(cfg fake.Config) {
	if cfg.Backups == nil {
		ids := make([]string, 0)
		for id := range fake.DemoBackups() {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		cfg.Logger.Info("serving the built-in demo backups", "backup_ids", ids)
	}
	if cfg.Token == "" && cfg.AccessKey == "" {
		cfg.Logger.Warn("no --token and no --ak/--sk: every request is let in")
	}
}
