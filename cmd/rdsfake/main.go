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
	fs := flag.NewFlagSet("rdsfake", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	project := fs.String("project-id", "", "the project ID the fake serves (required)")
	ak := fs.String("ak", "", "access key accepted for SDK-HMAC-SHA256 signatures")
	sk := fs.String("sk", "", "secret key of --ak (or set RDSFAKE_SK to keep it out of the process list)")
	token := fs.String("token", "", "X-Auth-Token accepted (or set RDSFAKE_TOKEN)")
	backups := fs.String("backups", "", "JSON file mapping backup_id to {bucket, files:[{name, size, database_name}]} (default: a built-in demo set)")
	ttl := fs.Duration("link-ttl", 5*time.Minute, "how long download links stay valid")
	useTLS := fs.Bool("tls", false, "serve HTTPS with a certificate for 127.0.0.1 and localhost made at start")
	caOut := fs.String("ca-out", "", "with --tls: write the CA certificate (PEM) to this file, for RDS_CA_FILE")
	faults := fs.Bool("faults", false, "answer backup_id fault-429 with 429 and fault-500 with 500")
	objectETag := fs.String("object-etag", "md5", `ETag of the files behind the links: md5 (the content's MD5), multipart ("<md5>-3", not the content's MD5) or none`)
	logFormat := fs.String("log-format", "text", "request log format on standard error: text, json or none")
	logLevel := fs.String("log-level", "info", "info (every request), warn or error")
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: rdsfake --project-id P [--listen ADDR] [--ak AK --sk SK] [--token T] [--backups FILE] [--link-ttl D] [--tls --ca-out FILE] [--faults] [--object-etag md5|multipart|none] [--version]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	usage := func(msg string) int {
		fmt.Fprintln(stderr, "rdsfake: "+msg)
		return 2
	}
	if fs.NArg() > 0 {
		return usage(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	if *showVersion {
		fmt.Fprintln(stdout, version.String("rdsfake"))
		return 0
	}
	if *sk == "" {
		*sk = os.Getenv("RDSFAKE_SK")
	}
	if *token == "" {
		*token = os.Getenv("RDSFAKE_TOKEN")
	}
	if *project == "" {
		return usage("--project-id is required")
	}
	if (*ak == "") != (*sk == "") {
		return usage("--ak and --sk go together")
	}
	if *caOut != "" && !*useTLS {
		return usage("--ca-out needs --tls")
	}
	if *ttl <= 0 {
		return usage("--link-ttl must be positive")
	}
	if !fake.ObjectETagMode(*objectETag).Valid() {
		return usage("--object-etag must be md5, multipart or none")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usage("--log-level must be info, warn or error")
	}
	hopts := &slog.HandlerOptions{Level: level}
	var logger *slog.Logger
	switch *logFormat {
	case "text":
		logger = slog.New(slog.NewTextHandler(stderr, hopts))
	case "json":
		logger = slog.New(slog.NewJSONHandler(stderr, hopts))
	case "none":
		logger = slog.New(slog.DiscardHandler)
	default:
		return usage("--log-format must be text, json or none")
	}
	cfg := fake.Config{ProjectID: *project, AccessKey: *ak, SecretKey: *sk, Token: *token, LinkTTL: *ttl, Faults: *faults, Logger: logger, TLS: *useTLS,
		ObjectETag: fake.ObjectETagMode(*objectETag)}
	if *backups != "" {
		f, err := os.Open(*backups)
		if err != nil {
			return usage(err.Error())
		}
		cfg.Backups, err = fake.LoadBackups(f)
		f.Close()
		if err != nil {
			return usage(*backups + ": " + err.Error())
		}
	}
	srv, err := fake.New(cfg)
	if err != nil {
		return usage(err.Error())
	}
	url, err := srv.Start(*listen)
	if err != nil {
		fmt.Fprintln(stderr, "rdsfake:", err)
		return 1
	}
	if *caOut != "" {
		if err := os.WriteFile(*caOut, srv.CACertPEM(), 0o644); err != nil {
			fmt.Fprintln(stderr, "rdsfake: writing CA certificate:", err)
			srv.Close()
			return 1
		}
	}
	if cfg.Backups == nil {
		ids := make([]string, 0)
		for id := range fake.DemoBackups() {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		logger.Info("serving the built-in demo backups", "backup_ids", ids)
	}
	if cfg.Token == "" && cfg.AccessKey == "" {
		logger.Warn("no --token and no --ak/--sk: every request is let in")
	}
	fmt.Fprintf(stdout, "listening on %s\n", url)
	<-ctx.Done()
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		srv.Close()
	}
	return 0
}
