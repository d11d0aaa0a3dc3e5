package rdsbackup

import (
	"os"
	"strconv"
	"time"
)

// Environment variables read by NewFromEnv (and by the rdsbackup command and the live suite).
// The HUAWEICLOUD_SDK_* names are the ones the provider's own SDK and tools use.
const (
	EnvAccessKey     = "HUAWEICLOUD_SDK_AK"             // access key for AK/SK signing
	EnvSecretKey     = "HUAWEICLOUD_SDK_SK"             // secret key for AK/SK signing
	EnvSecurityToken = "HUAWEICLOUD_SDK_SECURITY_TOKEN" // security token of temporary credentials
	EnvProjectID     = "HUAWEICLOUD_SDK_PROJECT_ID"     // the project ID
	EnvRegion        = "HUAWEICLOUD_SDK_REGION"         // region, e.g. ap-southeast-1 (endpoint rds.{region}.myhuaweicloud.com)
	EnvEndpoint      = "RDS_ENDPOINT"                   // full base URL of the endpoint; wins over the region
	EnvAuthToken     = "RDS_AUTH_TOKEN"                 // IAM token; wins over AK/SK when both are set
	EnvCAFile        = "RDS_CA_FILE"                    // PEM file of extra trusted CA certificates
	EnvTimeout       = "RDS_TIMEOUT"                    // per-call timeout as a Go duration (default 30s)
	EnvLanguage      = "RDS_LANGUAGE"                   // X-Language: en-us or zh-cn
)

// EnvOptions returns the options that the environment sets, read through lookup
// (os.LookupEnv in NewFromEnv). Unset or empty variables set nothing.
func EnvOptions(lookup func(string) (string, bool)) ([]Option, error) {
	get := func(k string) string {
		v, _ := lookup(k)
		return v
	}
	var opts []Option
	if v := get(EnvRegion); v != "" {
		opts = append(opts, WithRegion(v))
	}
	if v := get(EnvEndpoint); v != "" {
		opts = append(opts, WithEndpoint(v))
	}
	if v := get(EnvProjectID); v != "" {
		opts = append(opts, WithProjectID(v))
	}
	if ak, sk := get(EnvAccessKey), get(EnvSecretKey); ak != "" || sk != "" {
		opts = append(opts, WithAKSK(ak, sk, get(EnvSecurityToken)))
	}
	if v := get(EnvAuthToken); v != "" {
		opts = append(opts, WithToken(v))
	}
	if v := get(EnvCAFile); v != "" {
		opts = append(opts, WithCAFile(v))
	}
	if v := get(EnvLanguage); v != "" {
		opts = append(opts, WithLanguage(v))
	}
	if v := get(EnvTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			if n, err2 := strconv.Atoi(v); err2 == nil {
				d = time.Duration(n) * time.Second
			} else {
				return nil, argError("%s=%q is not a duration such as 30s", EnvTimeout, v)
			}
		}
		opts = append(opts, WithTimeout(d))
	}
	return opts, nil
}

// NewFromEnv builds a client from the environment (see the Env* constants); opts given here
// are applied after the environment's and so win over it.
func NewFromEnv(opts ...Option) (*API, error) {
	env, err := EnvOptions(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	return New(append(env, opts...)...)
}
