package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/rdskit/rdsbackup/gen/rdsbackup"
)

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
